"""The reports in the REST API: the 1330 JSON (DOMAIN.md section 9), report_compliance and
report_factors (section 11), each over what the caller may see. Their answers run to megabytes at
100,000 projects: they are encoded by web.renderers.FastJSONRenderer (issue 12)."""

import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from milestones.factor_selectors import report_factors
from projects import selectors
from projects.cache import cached
from projects.params import as_of_param, year_param
from projects.permissions import CanSeeReports
from web.renderers import FastJSONRenderer

from .compliance import compliance_report
from .selectors import progress_1330

REPORT_RENDERERS = [FastJSONRenderer, BrowsableAPIRenderer]


class Report1330View(APIView):
    """DOMAIN.md section 9's 1330 JSON (reports.selectors.progress_1330).

    The per-project `rows` only with ?include=rows, a page at a time (page, page_size): at 100,000
    projects they were 97% of a 4.3 MB answer most callers never read (issue 12)."""

    permission_classes = [CanSeeReports]
    renderer_classes = REPORT_RENDERERS
    ROWS_PAGE_SIZE, ROWS_MAX_PAGE_SIZE = 500, 2000

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int), OpenApiParameter("as_of", OpenApiTypes.DATE),
            OpenApiParameter("include", str, enum=["rows"], description="rows: add the counted projects, paginated"),
            OpenApiParameter("page", int), OpenApiParameter("page_size", int),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        as_of = as_of_param(request)
        year = year_param(request.query_params, "year", default=as_of.year)
        if "rows" not in request.query_params.get("include", "").split(","):
            # City-wide, the same for everyone who may read it: cached until the data change.
            return Response(cached("1330", [year, as_of], lambda: progress_1330(year=year, as_of=as_of, with_rows=False)))
        number, size = self._page_asked(request)
        start = (number - 1) * size
        # Only the page's rows become JSON; the figures need every counted project anyway.
        report = progress_1330(year=year, as_of=as_of, rows_window=slice(start, start + size))
        count = report.pop("rows_count")
        pages = max(math.ceil(count / size), 1)
        if number > pages:
            raise ApiValidationError({"page": f"页码应在 1 到 {pages} 之间"})
        report["rows_page"] = {"page": number, "pages": pages, "page_size": size, "count": count}
        return Response(report)

    def _page_asked(self, request) -> tuple[int, int]:
        try:
            size = int(request.query_params.get("page_size") or self.ROWS_PAGE_SIZE)
            number = int(request.query_params.get("page") or 1)
        except ValueError:
            raise ApiValidationError({"page": "页码和每页条数应为整数"}) from None
        if not 1 <= size <= self.ROWS_MAX_PAGE_SIZE:
            raise ApiValidationError({"page_size": f"每页条数应在 1 到 {self.ROWS_MAX_PAGE_SIZE} 之间"})
        if number < 1:
            raise ApiValidationError({"page": "页码应为正整数"})
        return number, size


class ReportComplianceView(APIView):
    """DOMAIN.md section 11's report_compliance JSON (reports.compliance.compliance_report)."""

    permission_classes = [CanSeeReports]
    renderer_classes = REPORT_RENDERERS

    @extend_schema(parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE)], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(compliance_report(as_of=as_of_param(request)))


class ReportFactorsView(APIView):
    """DOMAIN.md section 11's report_factors JSON, over the caller's scope."""

    permission_classes = [CanSeeReports]
    renderer_classes = REPORT_RENDERERS

    @extend_schema(parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE)], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(report_factors(as_of=as_of_param(request), needs=selectors.visible_factor_needs(request.user)))
