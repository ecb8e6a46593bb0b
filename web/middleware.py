"""Request checks that come before any view."""

import re

from .params import BadParameter

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refuse_control_characters(get_response):
    """A NUL byte (or another control character) in the path or a query value is never meant:
    `/projects/%00/` reached PostgreSQL, which cannot compare such a string (500). Answer 400."""

    def middleware(request):
        values = [request.path, *(value for _, values in request.GET.lists() for value in values)]
        if any(_CONTROL.search(value) for value in values):
            raise BadParameter("网址中含有不允许的控制字符")
        return get_response(request)

    return middleware
