"""问题协调 (DOMAIN.md section 7): raise, assign (交办), reply, instruct (批示), resolve."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from web.pages import paginate, query_without_page, redirect_back

from .. import selectors
from ..forms import AssignForm, InstructForm, ProblemForm, ReplyForm, ResolveForm
from ..models import ProblemStatus, local_today, problem_reply_overdue_q
from ..permissions import role_required
from ..services import problem_assign, problem_instruct, problem_raise, problem_reply, problem_resolve
from .common import own_scope, scope_switch
from .projects import _problem_permissions, _scoped_project, mark_problems

STATUS_FILTERS = {"active": "未解决", "overdue": "逾期未答复", "open": "待答复", "replied": "已答复",
                  "resolved": "已解决", "all": "全部"}


@role_required(selectors.user_role)
def problem_list(request):
    """Problems, overdue replies first; a unit's own (assigned to it) unless it asks for all."""
    as_of = local_today()
    user = request.user
    problems = selectors.own_problems(user) if own_scope(request) else selectors.visible_problems(user)
    problems = selectors.with_thread(
        problems.select_related("project", "assigned_unit", "raised_by")
    )
    shown = request.GET.get("status", "active")
    if shown in (ProblemStatus.OPEN, ProblemStatus.REPLIED, ProblemStatus.RESOLVED):
        problems = problems.filter(status=shown)
    elif shown == "overdue":
        problems = problems.filter(problem_reply_overdue_q(as_of))
    elif shown == "active":
        problems = problems.exclude(status=ProblemStatus.RESOLVED)
    # Overdue replies first: they are what the weekly alert and the bulletin will name.
    problems = problems.annotate(
        late=Case(
            When(problem_reply_overdue_q(as_of), then=Value(0)),
            default=Value(1), output_field=IntegerField(),
        )
    ).order_by("late", "reply_by", "-id")
    page = paginate(request, problems)
    mark_problems(page, user, as_of)
    return render(request, "projects/problems.html", {
        "page": page, "shown": shown, "filters": STATUS_FILTERS, "as_of": as_of,
        "query": query_without_page(request), "perm": _problem_permissions(user),
        "scope": scope_switch(request, own=lambda: selectors.own_problems(user),
                              everything=lambda: selectors.visible_problems(user)),
    })


@require_POST
@role_required(selectors.user_role)
def problem_new(request, code):
    project = _scoped_project(request.user, code)
    if not selectors.can_raise_problem(request.user, project):
        raise Http404("无此操作")
    form = ProblemForm(request.POST, prefix="problem", can_assign=selectors.can_assign_problem(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            problem_raise(project=project, user=request.user, category=data["category"],
                          description=data["description"], assigned_unit=data.get("assigned_unit"),
                          reply_by=data.get("reply_by"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已提出问题")
    else:
        messages.error(request, "请填写问题类别和描述")
    return redirect_back(request, "project_detail", project.code)


ACTIONS = {
    # action: (form, permission check, service call, success message)
    "assign": (AssignForm, selectors.can_assign_problem,
               lambda p, d, u: problem_assign(problem=p, unit=d["unit"], reply_by=d["reply_by"]), "已交办"),
    "reply": (ReplyForm, selectors.can_reply_problem,
              lambda p, d, u: problem_reply(problem=p, reply=d["reply"], user=u, unit=selectors.user_unit(u)),
              "已答复"),
    "instruct": (InstructForm, selectors.can_instruct,
                 lambda p, d, u: problem_instruct(problem=p, leader=selectors.user_leader(u), text=d["text"],
                                                  user=u), "已批示"),
    "resolve": (ResolveForm, selectors.can_resolve_problem,
                lambda p, d, u: problem_resolve(problem=p, resolution=d["resolution"]), "已办结"),
}


@require_POST
@role_required(selectors.user_role)
def problem_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404("无此操作")
    form_class, allowed, run, done = ACTIONS[action]
    problem = get_object_or_404(selectors.visible_problems(request.user).select_related("project"), pk=pk)
    if not allowed(request.user, problem):
        raise PermissionDenied("无权办理")
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(problem, form.cleaned_data, request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"{done}：{problem.project.code} {problem.get_category_display()}问题")
    else:
        messages.error(request, "；".join(
            f"{form.fields[name].label}：{error}" if name in form.fields else error
            for name, errors in form.errors.items() for error in errors
        ))
    return redirect_back(request, "problem_list")
