"""How the API reads a request and answers a refusal (settings.REST_FRAMEWORK points here).

Apart from projects.api because DRF imports these while it loads its views.
"""

from django.core.exceptions import BadRequest
from rest_framework import pagination, parsers
from rest_framework.exceptions import ParseError

from .params import page_param


class JSONParser(parsers.JSONParser):
    """DRF's parser, with the refusals in Chinese; a body nested 100,000 deep raised RecursionError,
    which DRF does not catch (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError("请求体不是有效的 JSON") from None
        except RecursionError:
            raise ParseError("请求体 JSON 嵌套层数过多") from None


class PageNumberPagination(pagination.PageNumberPagination):
    def get_page_number(self, request, paginator):
        return page_param(request.query_params, self.page_query_param)


def exception_handler(exc, context):
    """DRF's handler, plus the query parameters' BadParameter (any BadRequest) as a JSON 400."""
    from rest_framework import views

    if isinstance(exc, BadRequest):
        exc = ParseError(str(exc))
    return views.exception_handler(exc, context)
