"""What every app's API views share: a service's refusal as a 400."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError as ApiValidationError


def service_errors(exc: DjangoValidationError) -> ApiValidationError:
    """A service's Chinese messages as a DRF 400 body."""
    if hasattr(exc, "error_dict"):
        return ApiValidationError({field: [m for e in errors for m in e.messages]
                                   for field, errors in exc.error_dict.items()})
    return ApiValidationError({"detail": "；".join(exc.messages), "errors": exc.messages})
