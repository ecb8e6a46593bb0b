"""Who is changing data, and through which way in (issue 8 §2).

One context variable holds the channel and the actor for whatever runs now. Each way in sets it:
the middleware for pages, the API and the admin (by URL), `projects.ledger.import_ledger` for an
import, a Celery signal for tasks. Anything else that writes is a management command or a shell,
hence the default. A context variable, not a thread local: it is right under gunicorn's threads,
and it nests (an import started from a page is an import, and the page again afterwards).
"""

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models


class Channel(models.TextChoices):
    PAGE = "page", "页面"
    API = "api", "接口"
    IMPORT = "import", "台账导入"
    ADMIN = "admin", "系统管理后台"
    COMMAND = "command", "命令行"
    TASK = "task", "后台任务"


@dataclass(frozen=True)
class AuditContext:
    channel: str
    user: object = None
    # A request's user is read when a record is written, not when the request starts: DRF
    # authenticates a token inside the view, long after the middleware ran.
    request: object = None
    remote_addr: str | None = None

    @property
    def actor(self):
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        return user if getattr(user, "is_authenticated", False) else None


_current: ContextVar[AuditContext] = ContextVar("audit_context", default=AuditContext(channel=Channel.COMMAND))
_INHERIT = object()


def current() -> AuditContext:
    return _current.get()


@contextlib.contextmanager
def audit_channel(channel, *, user=_INHERIT, request=_INHERIT, remote_addr=_INHERIT):
    """Everything written inside is recorded as done through `channel`, by `user` (or the request's
    user); what is not given is kept from the enclosing context."""
    outer = _current.get()
    token = _current.set(AuditContext(
        channel=channel,
        user=outer.user if user is _INHERIT else user,
        request=outer.request if request is _INHERIT else request,
        remote_addr=outer.remote_addr if remote_addr is _INHERIT else remote_addr,
    ))
    try:
        yield
    finally:
        _current.reset(token)
