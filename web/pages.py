"""Small helpers every app's pages share: pagination, redirects, htmx, downloads."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZE = 20


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def attach_errors(form, exc: ValidationError):
    """Put a service's Chinese messages on the form: on the field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages)
    else:
        form.add_error(None, exc.messages)


def paginate(request, queryset, per_page=PAGE_SIZE, paginator_class=Paginator):
    return paginator_class(queryset, per_page).get_page(request.GET.get("page"))


def redirect_back(request, fallback, *args):
    """Back to `next` when it is a local URL, else to `fallback`; an htmx request gets HX-Redirect."""
    target = request.POST.get("next") or request.GET.get("next")
    if not (target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = resolve_url(fallback, *args)
    return redirect_to(request, target)


def redirect_to(request, url):
    """A redirect; an htmx request gets HX-Redirect (htmx does not follow a 302 as a page load)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def query_without_page(request) -> str:
    """The current filters as a query string, for pagination and export links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def file_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=content_type)
    # RFC 6266: a Chinese file name needs filename*; the ASCII fallback keeps old clients working.
    response["Content-Disposition"] = f"attachment; filename=\"download\"; filename*=UTF-8''{quote(filename)}"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
