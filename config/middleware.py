"""Request-level middleware of the project."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后重试"


class DatabaseUnavailableMiddleware:
    """A dropped database connection (a restart, a failover, pg_terminate_backend) or a lock held
    too long answers 503 with a Chinese message and Retry-After, not a 500 page. Django discards
    the broken connection when the request ends, or (an error it did not wrap) its health check
    (CONN_HEALTH_CHECKS) replaces it at the next request's first query, so that request succeeds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not caused_by_database(exception):
            return None
        return database_unavailable(request, exception)


def caused_by_database(exception) -> bool:
    """Whether a dropped connection is behind this exception. Middleware outside the view (the
    session's save, which turns it into a 400 SessionInterrupted) only reach the error handlers:
    Django turns each middleware's exception into the handlers' answer before the middleware around
    it could catch it, so the handlers ask this too."""
    # The driver's own classes too: Django does not wrap a cursor's close(), and the server-side
    # cursor behind every .iterator() (a form's model choices) closes in a finally, so a dropped
    # connection there raised a bare psycopg.OperationalError, the only 500s the fault test saw.
    kinds = (OperationalError, InterfaceError) + tuple(
        kind for db in connections.all() for kind in (db.Database.OperationalError, db.Database.InterfaceError)
    )
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, kinds):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def database_unavailable(request, exception):
    logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exception)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        # No request context: its processors would query the database that just failed.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "5"
    return response
