"""The report pages: the dashboard (the 1330 progress, the 10亿 target, lights, late and due-soon
nodes, new signings), the 报表 page and its downloads (1330, bulletin, 标准地, 要素保障, a leader's
report; PDF / Excel), and the 标准地达产复核 page. The numbers and the files come from this app's
selectors and renderers; the views only pick the year, date, scope and format."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from milestones import selectors as node_selectors
from milestones.factor_selectors import factor_totals
from milestones.views import type_cards
from projects import selectors
from projects.cache import cached
from projects.models import ProblemStatus, Project, Role, local_today
from projects.params import date_param, year_param
from projects.permissions import role_required
from projects.views.common import own_scope, scope_switch
from web.pages import PDF, XLSX, file_response
from web.params import BadParameter, id_param

from . import bulletin, factors, pdf, xlsx
from .compliance import compliance_report
from .selectors import progress_1330_counts, time_progress

CHART_W, CHART_H, PAD_L, PAD_B, PAD_T, PAD_R = 640, 240, 36, 28, 16, 12


def cumulative_chart(*, cumulative: dict, target: int, year: int) -> dict:
    """Inline-SVG geometry for the cumulative signings against the even pace to the year's target.
    Plain numbers only: the template draws it, so the page needs no chart library."""
    points = [(int(month_key[-2:]), value) for month_key, value in sorted(cumulative.items())]
    running = points[-1][1] if points else 0
    top = max([target, running, 1])
    top = top + (-top % 5)  # a round upper tick
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x(month):
        return PAD_L + plot_w * month / 12

    def y(value):
        return PAD_T + plot_h * (1 - value / top)

    line = [(x(0), y(0))] + [(x(m), y(v)) for m, v in points]
    ticks = [{"value": round(top * i / 5), "y": round(y(top * i / 5), 1)} for i in range(6)]
    return {
        "width": CHART_W,
        "height": CHART_H,
        "actual": " ".join(f"{px:.1f},{py:.1f}" for px, py in line),
        "area": " ".join(f"{px:.1f},{py:.1f}" for px, py in line + [(line[-1][0], y(0))]),
        "pace": f"{x(0):.1f},{y(0):.1f} {x(12):.1f},{y(target):.1f}",
        "target_y": round(y(target), 1),
        "last": {"x": round(line[-1][0], 1), "y": round(line[-1][1], 1), "value": running},
        "ticks": ticks,
        "months": [{"label": f"{m}月", "x": round(x(m) - plot_w / 24, 1)} for m in range(1, 13)],
        "left": PAD_L,
        "right": CHART_W - PAD_R,
        "baseline": round(y(0), 1),
        "year": year,
    }


@role_required(selectors.user_role)
def dashboard(request):
    """The first screen. The center, leaders and administrators see the city's 1330 progress (a
    unit does not: city-wide counts and the projects behind them are the reports', issue 8); a unit
    sees its own lights and nodes first (issue 9, a switch away from all it may see), a leader their
    red and yellow contact projects and the problems waiting for their 批示."""
    as_of = local_today()
    user = request.user
    own = own_scope(request)
    visible = selectors.own_projects(user, as_of=as_of) if own else selectors.visible_projects(user)
    overdue = node_selectors.overdue_nodes(as_of=as_of)
    due_soon = node_selectors.due_soon_nodes(as_of=as_of)
    if own:
        unit_id = user.profile.unit_id
        overdue, due_soon = overdue.filter(responsible_unit_id=unit_id), due_soon.filter(responsible_unit_id=unit_id)
    else:
        overdue, due_soon = selectors.visible_nodes(user, overdue), selectors.visible_nodes(user, due_soon)
    related = ("project", "responsible_unit")
    # The counts read whole tables at a province's size; they are cached until the data change
    # (projects.cache), keyed by the as-of date and what the user's scope depends on.
    scope = selectors.scope_key(user, own=own)
    context = {
        "as_of": as_of,
        "time_progress_pct": round(time_progress(year=as_of.year, as_of=as_of) * 100, 1),
        "lights": cached("lights", [as_of, scope], lambda: node_selectors.light_counts(as_of=as_of, projects=visible)),
        "overdue": overdue.select_related(*related)[:10],
        "overdue_total": cached("overdue-total", [as_of, scope], overdue.count),
        "due_soon": due_soon.select_related(*related)[:10],
        "can_create": selectors.can_edit(user),
        "new_signings": visible.filter(signing_date__isnull=False)
        .select_related("responsible_unit", "contact_leader")
        .order_by("-signing_date", "-id")[:8],
        "scope": scope_switch(request, own=lambda: selectors.own_projects(user, as_of=as_of),
                              everything=lambda: selectors.visible_projects(user)),
        "own": own,
    }
    if selectors.can_see_reports(user):
        context.update(cached("dashboard-1330", [as_of], lambda: progress_context(as_of)))
    if own:
        context["open_problems"] = cached("open-problems", [scope], selectors.own_problems(user)
                                         .exclude(status=ProblemStatus.RESOLVED).count)
    if selectors.user_role(user) == Role.LEADER:
        context["focus"] = selectors.leader_focus(user, as_of=as_of, limit=FOCUS_SHOWN)
    context["factor_cards"] = factor_cards(user)
    return render(request, "reports/dashboard.html", context)


# The first projects of the leader's focus cards, and the 10亿 projects the 1330 card names; the
# rest are one click away (我的联系项目, the 1330 report).
FOCUS_SHOWN = 10
NAMES_1B_SHOWN = 5


def progress_context(as_of) -> dict:
    progress = progress_1330_counts(year=as_of.year, as_of=as_of)
    target = progress["targets"].get("100m") or 0
    return {
        "progress": progress,
        "completion_pct": round((progress["completion"].get("100m") or 0) * 100, 1),
        "chart": cumulative_chart(cumulative=progress["cumulative_by_month"], target=target, year=as_of.year),
        "gap_1b": max((progress["targets"].get("1b") or 0) - (progress["counts"].get("1b") or 0), 0),
        # The card names the first projects, in signing order; the selector gives codes (the API's
        # contract, section 9).
        "names_1b": list(Project.objects.filter(code__in=progress["projects_1b"])
                         .order_by("signing_date", "code").values_list("name", flat=True)[:NAMES_1B_SHOWN]),
    }


def factor_cards(user) -> list[dict]:
    """Section 11: per type, the total needed and secured over the active projects in the user's scope."""
    needs = selectors.visible_factor_needs(user)
    return cached("factor-cards", [selectors.scope_key(user)], lambda: type_cards(factor_totals(needs=needs)))


def _as_of(request):
    return date_param(request.GET, "as_of", default=local_today())


def _year(request, as_of):
    return year_param(request.GET, "year", default=as_of.year)


@role_required(selectors.can_see_reports)
def reports_page(request):
    as_of = _as_of(request)
    year = _year(request, as_of)
    return render(request, "reports/reports.html", {
        "as_of": as_of, "year": year, "years": range(as_of.year, as_of.year - 6, -1),
        "leaders": selectors.visible_leaders(request.user),
    })


@role_required(selectors.can_see_reports)
def report_download(request, report, fmt):
    if fmt not in ("pdf", "xlsx"):
        raise Http404("无此格式")
    as_of = _as_of(request)
    year = _year(request, as_of)
    stamp = f"{as_of:%Y%m%d}"
    if report == "1330":
        name = f"1330进度_{year}年_截至{stamp}"
        content = (pdf.progress_1330_pdf if fmt == "pdf" else xlsx.progress_1330_xlsx)(year=year, as_of=as_of)
    elif report == "bulletin":
        name = f"重大项目通报_{stamp}"
        content = (bulletin.bulletin_pdf if fmt == "pdf" else xlsx.bulletin_xlsx)(as_of=as_of)
    elif report == "compliance":
        name = f"标准地达产复核_{stamp}"
        content = (pdf.compliance_pdf if fmt == "pdf" else xlsx.compliance_xlsx)(as_of=as_of)
    elif report == "factors":
        name = f"要素保障_截至{stamp}"
        content = (factors.factors_pdf if fmt == "pdf" else xlsx.factors_xlsx)(as_of=as_of)
    elif report == "leader":
        leader_id = id_param(request.GET, "leader")
        if leader_id is None:
            raise BadParameter("请选择市领导（参数 leader）")
        leader = get_object_or_404(selectors.visible_leaders(request.user), pk=leader_id)
        name = f"联系项目报告_{leader.name}_{stamp}"
        render_file = pdf.leader_report_pdf if fmt == "pdf" else xlsx.leader_report_xlsx
        content = render_file(leader=leader, as_of=as_of)
    else:
        raise Http404("无此报表")
    return file_response(content, f"{name}.{fmt}", PDF if fmt == "pdf" else XLSX)


VERDICT_TABS = {"": "全部", "not_met": "未达标", "unreviewed": "未复核", "met": "达标"}
VERDICT_VALUE = {"not_met": False, "unreviewed": None, "met": True}
COMPLIANCE_PAGE_SIZE = 50


@role_required(selectors.user_role)
def compliance_page(request):
    as_of = _as_of(request)
    scope = None if selectors.sees_all_projects(request.user) else selectors.visible_projects(request.user)
    report = compliance_report(as_of=as_of, projects=scope)
    shown = request.GET.get("verdict", "")
    items = report["projects"]
    if shown in VERDICT_VALUE:
        items = [item for item in items if item["met"] is VERDICT_VALUE[shown]]
    return render(request, "reports/compliance.html", {
        "as_of": as_of,
        "report": report,
        "page": Paginator(items, COMPLIANCE_PAGE_SIZE).get_page(request.GET.get("page")),
        "tabs": VERDICT_TABS,
        "shown": shown if shown in VERDICT_TABS else "",
        "can_download": selectors.can_see_reports(request.user),
        "scoped": scope is not None,
    })
