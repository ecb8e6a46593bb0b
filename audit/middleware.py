"""Sets the audit channel of each request by its URL (issue 8 §2)."""

from .context import Channel, audit_channel

# The URL prefixes of config/urls.py and projects/urls.py.
ADMIN_PREFIX = "/admin/"
API_PREFIX = "/api/"


def channel_for_path(path: str) -> str:
    if path.startswith(ADMIN_PREFIX):
        return Channel.ADMIN
    if path.startswith(API_PREFIX):
        return Channel.API
    return Channel.PAGE


class AuditChannelMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # REMOTE_ADDR, not X-Forwarded-For: a client can write any X-Forwarded-For it likes.
        with audit_channel(channel_for_path(request.path_info), user=None, request=request,
                           remote_addr=request.META.get("REMOTE_ADDR") or None):
            return self.get_response(request)
