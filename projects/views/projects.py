"""The 台账 (list), a project's page with its transitions, and the deal form."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from audit import selectors as audit_selectors
from milestones import selectors as node_selectors
from milestones.models import NODE_ORDER
from web.pages import XLSX, attach_errors, file_response, is_htmx, paginate, query_without_page, redirect_to
from web.params import check_filter

from .. import selectors
from ..cache import CachedCountPaginator
from ..forms import CapacityReviewForm, NoteForm, ProblemForm, ProjectFilter, ProjectForm, RevertForm, TransitionForm
from ..models import Problem, ProblemStatus, Role, Transition, Unit, last_revertible, local_today
from ..permissions import role_required
from ..services import (
    EditConflict,
    TransitionConflict,
    TransitionRefused,
    capacity_review,
    progress_note_add,
    project_create,
    project_revert_last,
    project_transition,
    project_update,
)
from .common import own_scope, scope_switch

LIST_RELATED = ("responsible_unit", "contact_leader", "platform")


def _listed(request, as_of):
    """The user's projects with their light, ready for the list (one query per page); a unit's
    own work unless it asked for all it may see (issue 9)."""
    user = request.user
    projects = selectors.own_projects(user, as_of=as_of) if own_scope(request) else selectors.visible_projects(user)
    return node_selectors.annotate_light(projects.select_related(*LIST_RELATED), as_of=as_of)


def _list_params(request):
    """A leader's list defaults to their contact projects (issue 5); `?leader=` shows all."""
    params = request.GET.copy()
    leader = selectors.user_leader(request.user)
    if selectors.user_role(request.user) == Role.LEADER and leader is not None and "leader" not in params:
        params["leader"] = str(leader.pk)
    return params


@role_required(selectors.user_role)
def project_list(request):
    as_of = local_today()
    params = _list_params(request)
    project_filter = check_filter(ProjectFilter(params, queryset=_listed(request, as_of), as_of=as_of))
    page = paginate(request, project_filter.qs, paginator_class=CachedCountPaginator)
    context = {
        "scope": scope_switch(request, own=lambda: selectors.own_projects(request.user, as_of=as_of),
                              everything=lambda: selectors.visible_projects(request.user)),
        "filter": project_filter,
        "page": page,
        "as_of": as_of,
        "query": query_without_page(request),
        "can_create": selectors.can_edit(request.user),
    }
    template = "projects/_list_results.html" if is_htmx(request) else "projects/list.html"
    return render(request, template, context)


@role_required(selectors.user_role)
def project_export(request):
    """The filtered list as a ledger workbook (the import's format, so it can be edited and re-imported)."""
    from io import BytesIO

    from ..ledger import export_ledger

    as_of = local_today()
    project_filter = check_filter(ProjectFilter(_list_params(request), queryset=_listed(request, as_of), as_of=as_of))
    stream = BytesIO()
    export_ledger(projects_queryset=project_filter.qs, stream=stream, as_of=as_of)
    return file_response(stream.getvalue(), f"项目台账_{local_today():%Y%m%d}.xlsx", XLSX)


def _scoped_project(user, code, as_of=None):
    projects = selectors.visible_projects(user).select_related(*LIST_RELATED, "created_by")
    if as_of is not None:
        projects = node_selectors.annotate_light(projects, as_of=as_of)
    return get_object_or_404(projects, code=code)


def _timeline(project, as_of):
    """The project's nodes in step order, each with its overdue days and light (milestones' rules)."""
    nodes = sorted(project.nodes.select_related("responsible_unit"), key=lambda n: NODE_ORDER.index(n.node_type))
    overdue = {
        n.pk: n for n in node_selectors.overdue_nodes(as_of=as_of).filter(project=project)
    }
    due_soon = set(node_selectors.due_soon_nodes(as_of=as_of).filter(project=project).values_list("pk", flat=True))
    for node in nodes:
        late = overdue.get(node.pk)
        node.overdue_days = late.overdue_days if late else None
        node.light = late.light if late else None
        node.due_soon = node.pk in due_soon
    return nodes


def _detail_context(request, project, as_of, *, open_form=None, revert_form=None, review_form=None):
    user = request.user
    nodes = _timeline(project, as_of)
    can_review = selectors.can_review_capacity(user, project, nodes)
    forms = []
    for name in selectors.allowed_transitions(user, project, nodes):
        if open_form is not None and open_form.name == name:
            forms.append(open_form)
        else:
            forms.append(TransitionForm(project=project, name=name, initial={"effective_date": as_of}))
    problems = selectors.with_thread(
        project.problems.select_related("assigned_unit", "raised_by").order_by("status", "-raised_on", "-id")
    )
    mark_problems(problems, user, as_of)
    history = list(project.history.select_related("by", "reverted_by").order_by("-id"))
    revertible = last_revertible(history, project.status)
    return {
        "project": project,
        "as_of": as_of,
        "nodes": nodes,
        "transition_forms": forms,
        "history": history,
        "problems": problems,
        "notes": project.progress_notes.select_related("by", "unit")[:50],
        "can_edit": selectors.can_edit(user, project),
        # Only offered when there is a transition to undo; the service re-checks it under lock.
        "can_revert": selectors.can_revert(user, project) and revertible is not None,
        "revertible": revertible,
        "revert_form": revert_form or RevertForm(initial={"undoes": revertible.pk if revertible else None}),
        "can_note": selectors.can_add_note(user, project),
        "note_form": NoteForm(),
        "can_raise": selectors.can_raise_problem(user, project),
        "problem_form": ProblemForm(can_assign=selectors.can_assign_problem(user), prefix="problem"),
        "perm": _problem_permissions(user),
        # Section 10: the agreed indicators judged against the 达产复核, and the form to record it.
        "compliance": project.compliance_check(),
        "can_review": can_review,
        "review_form": (review_form or CapacityReviewForm(project=project)) if can_review else None,
        **_changes(request, project),
    }


def _changes(request, project):
    """The 变更记录 section, a page of records at a time; absent for those who may not see it."""
    if not selectors.can_see_changes(request.user, project):
        return {}
    page = paginate(request, audit_selectors.project_changes(project))
    return {"show_changes": True, "changes_page": page, "changes": audit_selectors.describe(page)}


def _problem_permissions(user):
    can_assign = selectors.can_assign_problem(user)
    return {
        "assign": can_assign,
        "units": list(Unit.objects.all()) if can_assign else [],
        "resolve": selectors.can_resolve_problem(user),
        "instruct": selectors.can_instruct(user),
    }


def mark_problems(problems, user, as_of):
    """What _problem.html shows per problem: its reply overdue (section 7) and whether this user
    may reply (selectors.can_reply_problem, the rule the reply action itself checks)."""
    for problem in problems:
        problem.reply_overdue = problem.is_reply_overdue(as_of)
        problem.can_reply = selectors.can_reply_problem(user, problem)
    return problems


@role_required(selectors.user_role)
def project_detail(request, code):
    as_of = local_today()
    project = _scoped_project(request.user, code, as_of)
    return render(request, "projects/detail.html", _detail_context(request, project, as_of))


@require_POST
@role_required(selectors.user_role)
def project_transition_view(request, code, name):
    """Run one transition from its short form; the guard's Chinese message comes back on the form."""
    as_of = local_today()
    project = _scoped_project(request.user, code, as_of)
    if name not in Transition.values or not selectors.can_transition(request.user, project, name):
        raise Http404("无此操作")
    form = TransitionForm(request.POST, project=project, name=name)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            project_transition(
                project=project, name=name, user=request.user, effective_date=data["effective_date"],
                note=data["note"], reason=data.get("reason", ""), fields=form.transition_fields(),
                expected_status=data["expected_status"] or None,
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.messages)
        except (TransitionConflict, ConcurrentTransition):
            form.add_error(None, TransitionConflict().message)
            messages.error(request, TransitionConflict().message)
            status = 409
        else:
            messages.success(request, f"已办理{form.label}：{project.code} {project.name}")
            return _to_detail(request, project)
    if is_htmx(request):
        # htmx swaps only 2xx answers; the form with its message replaces the old one.
        return render(request, "projects/_transition_form.html", {"form": form, "project": project})
    context = _detail_context(request, project, as_of, open_form=form)
    return render(request, "projects/detail.html", context, status=status)


def _to_detail(request, project):
    return redirect_to(request, project_url(project))


def project_url(project):
    from django.urls import reverse

    return reverse("project_detail", args=[project.code])


@require_POST
@role_required(selectors.can_revert)
def project_revert_view(request, code):
    """The audited correction: undo the last transition, with a reason (section 2)."""
    as_of = local_today()
    project = _scoped_project(request.user, code, as_of)
    form = RevertForm(request.POST)
    if form.is_valid():
        try:
            project_revert_last(project=project, user=request.user, reason=form.cleaned_data["reason"],
                                undoes=form.cleaned_data["undoes"])
        except TransitionRefused as exc:
            form.add_error(None, exc.messages)
            # The panel is hidden when nothing is left to undo (the double-click case): say it above.
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已撤销最近一次状态变更：{project.code}")
            return _to_detail(request, project)
    context = _detail_context(request, project, as_of, revert_form=form)
    context["revert_open"] = True
    return render(request, "projects/detail.html", context, status=400)


@require_POST
@role_required(selectors.user_role)
def project_capacity_review(request, code):
    """达产复核 (section 10): record the actual values the agreed indicators are judged against."""
    as_of = local_today()
    project = _scoped_project(request.user, code, as_of)
    if not selectors.can_review_capacity(request.user, project):
        raise Http404("无此操作")
    form = CapacityReviewForm(request.POST, project=project)
    if form.is_valid():
        try:
            capacity_review(project=project, user=request.user, reviewed_on=form.cleaned_data["reviewed_on"],
                            values=form.values())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记达产复核：{project.code} {project.name}")
            return _to_detail(request, project)
    context = _detail_context(request, project, as_of, review_form=form)
    context["review_open"] = True
    return render(request, "projects/detail.html", context, status=400)


@require_POST
@role_required(selectors.user_role)
def project_note_add(request, code):
    project = _scoped_project(request.user, code)
    if not selectors.can_add_note(request.user, project):
        raise Http404("无此操作")
    form = NoteForm(request.POST)
    if form.is_valid():
        progress_note_add(project=project, text=form.cleaned_data["text"], user=request.user,
                          unit=selectors.user_unit(request.user))
        messages.success(request, "已添加项目进展")
    else:
        messages.error(request, "请填写进展情况")
    return _to_detail(request, project)


@role_required(selectors.can_edit)
def project_new(request):
    """Log a deal. The form proposes the next free code; a likely duplicate (same name and
    investor) is shown and must be confirmed before it is saved (issue 9)."""
    next_code = selectors.next_project_code(year=local_today().year)
    form = ProjectForm(request.POST or None, initial={"code": next_code})
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = list(selectors.likely_duplicates(name=form.cleaned_data["name"],
                                                      investor=form.cleaned_data["investor"])[:5])
        if duplicates and not request.POST.get("confirm_duplicate"):
            return render(request, "projects/form.html", {"form": form, "title": "录入新项目",
                                                          "duplicates": duplicates, "next_code": next_code})
        try:
            project = project_create(
                user=request.user, signing_date=form.cleaned_data.get("signing_date"),
                planned_dates=form.planned_dates(), **form.project_data(),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            label = "已录入并签约" if project.signing_date else "已录入"
            messages.success(request, f"{label}：{project.code} {project.name}")
            return redirect(project_url(project))
    status = 400 if form.errors else 200
    return render(request, "projects/form.html", {"form": form, "title": "录入新项目", "next_code": next_code},
                  status=status)


def _agreed_dates(project):
    return {n.node_type: n.planned_date for n in project.nodes.all() if n.planned_is_agreed}


@role_required(selectors.can_edit)
def project_edit(request, code):
    project = _scoped_project(request.user, code)
    form = ProjectForm(request.POST or None, instance=project, editing=True, planned=_agreed_dates(project))
    status = 200
    if request.method == "POST" and form.is_valid():
        dates = form.planned_dates()
        agreed = {node: dates.get(node) for node in ProjectForm.PLANNED.values()}
        try:
            project_update(project=project, user=request.user, planned_dates=agreed,
                           version=form.cleaned_data["version"], loaded=form.loaded_values(), **form.project_data())
        except EditConflict as exc:
            form = form.rebased(exc.project, _agreed_dates(exc.project))
            form.is_valid()
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存：{project.code} {project.name}")
            return redirect(project_url(project))
    if status == 200 and form.errors:
        status = 400
    context = {"form": form, "title": f"编辑项目 {project.code}", "project": project}
    return render(request, "projects/form.html", context, status=status)


@role_required(lambda user: selectors.user_leader(user) is not None)
def my_contacts(request):
    """A leader's contact projects in the order they need the leader (issue 9): red and yellow
    projects with their late nodes, the problems waiting for their 批示, then the rest."""
    as_of = local_today()
    focus = selectors.leader_focus(request.user, as_of=as_of)
    flagged_ids = {p.pk for p in focus["flagged"]}
    late_nodes = defaultdict(list)
    for node in (node_selectors.overdue_nodes(as_of=as_of)
                 .filter(project__in=selectors.contact_projects(request.user).values("pk"))
                 .select_related("responsible_unit")):
        late_nodes[node.project_id].append(node)
    for project in focus["flagged"]:
        project.late_nodes = late_nodes[project.pk]
    others = node_selectors.annotate_light(
        selectors.contact_projects(request.user).exclude(pk__in=flagged_ids).select_related(*LIST_RELATED),
        as_of=as_of,
    ).annotate(open_problems=Count("problems", filter=~Q(problems__status=ProblemStatus.RESOLVED)))
    awaiting_ids = {p.pk for p in focus["awaiting"]}
    instructed = selectors.with_thread(
        Problem.objects.filter(project__in=selectors.contact_projects(request.user).values("pk"))
        .exclude(status=ProblemStatus.RESOLVED).exclude(pk__in=awaiting_ids)
        .select_related("project", "assigned_unit")
        .order_by("reply_by")
    )
    mark_problems(focus["awaiting"], request.user, as_of)
    mark_problems(instructed, request.user, as_of)
    leader = selectors.user_leader(request.user)
    return render(request, "projects/my_contacts.html", {
        "flagged": focus["flagged"], "awaiting": focus["awaiting"], "others": others.order_by("-signing_date", "code"),
        "instructed": instructed, "as_of": as_of, "perm": _problem_permissions(request.user), "leader": leader,
    })
