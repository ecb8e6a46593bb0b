"""The node pages: a unit's 我的节点, and 要素保障 (DOMAIN.md section 11), the page the center and
each type's unit work from — totals per type, the needs with their status, record what was secured,
set a needed-by date, state a need."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from projects import selectors
from projects.forms import FactorNeededByForm, FactorNeedForm, FactorSecuredForm
from projects.models import Problem, ProblemStatus, Role, Unit, local_today
from projects.permissions import role_required
from projects.views.projects import mark_problems
from web.pages import paginate, query_without_page, redirect_back

from . import factor_services
from . import selectors as node_selectors
from .factor_selectors import FACTOR_ACTIVE_STATUSES, FactorStatus, annotate_needs, factor_totals
from .models import FACTOR_ORDER, FACTOR_UNITS, FactorRule, FactorSecured, FactorType
from .services import rules_by_type

STATUS_FILTERS = {
    "gap": "未保障", FactorStatus.OVERDUE: "逾期未保障", FactorStatus.AT_RISK: "预警（30天内）",
    FactorStatus.OPEN: "待保障", FactorStatus.SECURED: "已保障", "all": "全部在建",
}
STATUS_ORDER = [FactorStatus.OVERDUE, FactorStatus.AT_RISK, FactorStatus.OPEN, FactorStatus.SECURED]


def _form_errors(form) -> str:
    return "；".join(f"{form.fields[name].label}：{error}" if name in form.fields else error
                    for name, errors in form.errors.items() for error in errors)


def type_cards(totals: dict) -> list[dict]:
    """Per type, needed vs secured (section 11's dashboard card): the page and the dashboard share it."""
    cards = []
    for factor_type in FACTOR_ORDER:
        figures = totals[factor_type]
        needed, secured = figures["needed"], figures["secured"]
        rate = float(secured / needed) if needed else None
        cards.append({"type": factor_type, "label": FactorType(factor_type).label, "unit": FACTOR_UNITS[factor_type],
                      "needed": needed, "secured": secured, "gap": figures["gap"],
                      "rate_pct": None if rate is None else round(min(rate, 1) * 100, 1)})
    return cards


@role_required(selectors.user_role)
def factor_list(request):
    as_of = local_today()
    user = request.user
    scope = selectors.visible_factor_needs(user)
    needs = annotate_needs(scope.filter(project__status__in=FACTOR_ACTIVE_STATUSES), as_of=as_of)
    shown = request.GET.get("status", "gap")
    if shown == "gap":
        needs = needs.exclude(status=FactorStatus.SECURED)
    elif shown in STATUS_ORDER:
        needs = needs.filter(status=shown)
    factor_type = request.GET.get("type", "")
    if factor_type in FactorType.values:
        needs = needs.filter(factor_type=factor_type)
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        needs = needs.filter(responsible_unit_id=int(unit_id))
    if request.GET.get("mine") and selectors.user_role(user) == Role.UNIT:
        needs = needs.filter(responsible_unit_id=user.profile.unit_id)
    q = request.GET.get("q", "").strip()
    if q:
        needs = needs.filter(Q(project__code__icontains=q) | Q(project__name__icontains=q))
    needs = (
        needs.select_related("project", "responsible_unit", "problem")
        .prefetch_related(Prefetch("records", queryset=FactorSecured.objects.select_related("by").order_by("-secured_on", "-id")))
        .annotate(status_order=Case(*[When(status=s, then=Value(i)) for i, s in enumerate(STATUS_ORDER)],
                                    output_field=IntegerField()))
        .order_by("status_order", "needed_by", "project__code", "type_order")
    )
    page = paginate(request, needs)
    for need in page:
        need.status_label = FactorStatus.LABELS[need.status]
        need.can_secure = selectors.can_secure_need(user, need)
        need.measure_label = FACTOR_UNITS[need.factor_type]
    return render(request, "milestones/factors.html", {
        "as_of": as_of, "page": page, "cards": type_cards(factor_totals(needs=scope)),
        "shown": shown, "filters": STATUS_FILTERS, "types": FactorType.choices, "type": factor_type,
        "units": Unit.objects.filter(pk__in=_unit_ids()) if selectors.is_center(user) else [],
        "unit": unit_id, "q": q, "query": query_without_page(request),
        "can_plan": selectors.can_plan_needs(user), "need_form": FactorNeedForm(),
        "is_unit": selectors.user_role(user) == Role.UNIT, "mine": bool(request.GET.get("mine")),
    })


def _unit_ids():
    return FactorRule.objects.filter(default_unit__isnull=False).values("default_unit")


def _scoped_need(user, pk):
    return get_object_or_404(selectors.visible_factor_needs(user).select_related("project"), pk=pk)


@require_POST
@role_required(selectors.can_plan_needs)
def factor_need_set(request):
    form = FactorNeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect_back(request, "factor_list")
    data = form.cleaned_data
    project = selectors.visible_projects(request.user).filter(code=data["code"].strip()).first()
    if project is None:
        messages.error(request, f"找不到项目编号「{data['code']}」")
        return redirect_back(request, "factor_list")
    try:
        factor_services.need_set(project=project, factor_type=data["factor_type"], needed=data["needed"],
                                 needed_by=data["needed_by"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已登记 {project.code} 的{FactorType(data['factor_type']).label}需求")
    return redirect_back(request, "factor_list")


@require_POST
@role_required(selectors.user_role)
def factor_secure(request, pk):
    need = _scoped_need(request.user, pk)
    if not selectors.can_secure_need(request.user, need):
        raise Http404("无此操作")
    form = FactorSecuredForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect_back(request, "factor_list")
    data = form.cleaned_data
    try:
        factor_services.need_record_secured(need=need, amount=data["amount"], secured_on=data["secured_on"],
                                            document=data["document"], user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已登记 {need.project.code} {need.get_factor_type_display()}保障 {data['amount'].normalize():f}"
                                  f"{FACTOR_UNITS[need.factor_type]}")
    return redirect_back(request, "factor_list")


@require_POST
@role_required(selectors.can_plan_needs)
def factor_needed_by(request, pk):
    need = _scoped_need(request.user, pk)
    form = FactorNeededByForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect_back(request, "factor_list")
    factor_services.need_set_needed_by(need=need, needed_by=form.cleaned_data["needed_by"])
    messages.success(request, f"已更新 {need.project.code} {need.get_factor_type_display()}的需保障日期")
    return redirect_back(request, "factor_list")


URGENCY = {"overdue": "已逾期", "soon": "14天内到期", "later": "之后"}


@role_required(lambda user: selectors.user_unit(user) is not None)
def my_nodes(request):
    """A unit's own nodes grouped by urgency (逾期, 14天内, 之后; section 4), a page at a time, each
    saying why it is the unit's (section 3's owner rule)."""
    as_of = local_today()
    unit = selectors.user_unit(request.user)
    nodes = node_selectors.with_urgency(selectors.unit_nodes(request.user), as_of=as_of).select_related(
        "project__platform", "responsible_unit"
    )
    counts = dict(nodes.order_by().values_list("urgency").annotate(n=Count("pk")))
    page = paginate(request, nodes)
    rules = rules_by_type()
    groups = []
    for node in page:
        node.owner_reason = node_selectors.owner_reason(node, rules.get(node.node_type))
        if not groups or groups[-1]["kind"] != node.urgency:
            groups.append({"kind": node.urgency, "title": URGENCY[node.urgency], "total": counts.get(node.urgency, 0),
                           "nodes": []})
        groups[-1]["nodes"].append(node)
    problems = mark_problems(
        list(Problem.objects.filter(assigned_unit=unit).exclude(status=ProblemStatus.RESOLVED)
             .select_related("project").order_by("reply_by")[:50]),
        request.user, as_of,
    )
    return render(request, "milestones/my_nodes.html", {
        "unit": unit, "problems": problems, "as_of": as_of, "page": page, "groups": groups,
        "counts": [(kind, title, counts.get(kind, 0)) for kind, title in URGENCY.items()],
    })
