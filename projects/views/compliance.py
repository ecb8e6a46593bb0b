"""The 标准地达产复核 page (DOMAIN.md section 10): each checked project's verdict and indicators, and
the 亩均 ranking by platform. The numbers come from reports.compliance, as in the report files."""

from django.core.paginator import Paginator
from django.shortcuts import render

from reports.compliance import compliance_report

from .. import selectors
from ..permissions import role_required
from .reports import _as_of

VERDICT_TABS = {"": "全部", "not_met": "未达标", "unreviewed": "未复核", "met": "达标"}
VERDICT_VALUE = {"not_met": False, "unreviewed": None, "met": True}
PAGE_SIZE = 50


@role_required(selectors.user_role)
def compliance_page(request):
    as_of = _as_of(request)
    scope = None if selectors.sees_all_projects(request.user) else selectors.visible_projects(request.user)
    report = compliance_report(as_of=as_of, projects=scope)
    shown = request.GET.get("verdict", "")
    items = report["projects"]
    if shown in VERDICT_VALUE:
        items = [item for item in items if item["met"] is VERDICT_VALUE[shown]]
    return render(request, "projects/compliance.html", {
        "as_of": as_of,
        "report": report,
        "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
        "tabs": VERDICT_TABS,
        "shown": shown if shown in VERDICT_TABS else "",
        "can_download": selectors.can_see_reports(request.user),
        "scoped": scope is not None,
    })
