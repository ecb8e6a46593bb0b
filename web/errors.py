"""The 400/403/404/500 answers (config.urls' handlers): Chinese pages, and JSON under /api/."""

import sys

from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from config.middleware import caused_by_database, database_unavailable

from .params import BadParameter

GENERIC = {400: "请求有误", 403: "无权办理", 404: "页面不存在", 500: "系统繁忙，请稍后重试"}


def _answer(request, status, message=""):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message or GENERIC[status]}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    if not hasattr(request, "user"):
        # Refused before the authentication middleware ran (a NUL byte in the URL): the page's
        # navigation still needs a user.
        request.user = AnonymousUser()
    return render(request, f"{status}.html", {"message": message}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    if caused_by_database(exception):
        return database_unavailable(request, exception)
    # Only our own messages are shown: Django's (a bad Host header …) are English and technical.
    return _answer(request, 400, str(exception) if isinstance(exception, BadParameter) else "")


@requires_csrf_token
def permission_denied(request, exception=None):
    message = str(exception) if exception is not None and str(exception) else ""
    return _answer(request, 403, message if _is_chinese(message) else "")


@requires_csrf_token
def page_not_found(request, exception=None):
    return _answer(request, 404)


def server_error(request):
    # Called inside the handler's except block: the exception is the one being handled.
    exception = sys.exc_info()[1]
    if caused_by_database(exception):
        return database_unavailable(request, exception)
    if request.path.startswith("/api/"):
        return _answer(request, 500)
    # Static, with no context: whatever broke the request may break a template's context too.
    from django.http import HttpResponseServerError

    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    return _answer(request, 403, "页面已过期或来源无法验证，请刷新页面后重试")


def _is_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
