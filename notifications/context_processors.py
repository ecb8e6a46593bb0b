"""The inbox's unread count for the navigation of every page (settings.TEMPLATES)."""

from django.utils.functional import SimpleLazyObject

from .selectors import unread_for


def inbox(request) -> dict:
    """Counted only when a page shows it: htmx fragments and error pages never ask."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {"unread_count": 0}
    return {"unread_count": SimpleLazyObject(lambda: unread_for(user).count())}
