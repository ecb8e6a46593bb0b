"""Who may see and do what (issue 5), and the scoped querysets every page and API call starts from.

This is the one place the scoping rules live: a view or a viewset asks `visible_projects(user)` for
its queryset and `can_*` before it writes, so the page and the API cannot disagree. Anything outside
a user's scope is simply not in their queryset, which turns into a 404 rather than a 403 (a 403 would
say the object exists).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet

from .models import (
    Leader,
    Problem,
    ProblemStatus,
    Project,
    Role,
    Transition,
)

# Transitions that are the investment center's business alone (not a node any unit owns).
CENTER_ONLY_TRANSITIONS = (Transition.SUSPEND, Transition.RESUME, Transition.TERMINATE)


# --- who is this ---------------------------------------------------------------------------------


def user_role(user) -> str | None:
    """The user's role; a superuser without a profile is an administrator (made by createsuperuser)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        # Cached on the user object after the first access, so asking again costs no query.
        return user.profile.role
    except ObjectDoesNotExist:
        return Role.ADMIN if user.is_superuser else None


def user_unit(user):
    """The responsible unit a unit user acts for (None for every other role)."""
    if user_role(user) != Role.UNIT:
        return None
    return user.profile.unit


def user_leader(user):
    """The Leader record a leader login speaks for (None when the account is not linked to one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.leader
    except ObjectDoesNotExist:
        return None


def is_center(user) -> bool:
    """Investment-center staff and administrators: everything the product can do."""
    return user_role(user) in (Role.CENTER, Role.ADMIN)


# --- what they see -------------------------------------------------------------------------------


def sees_all_projects(user) -> bool:
    """Issue 5: center, leaders and administrators see every project."""
    return user_role(user) in (Role.CENTER, Role.LEADER, Role.ADMIN)


def visible_projects(user) -> QuerySet[Project]:
    """Issue 5: center, leaders and administrators see every project; a unit user sees the projects
    whose responsible unit is theirs or one of whose nodes their unit owns; anyone else sees none."""
    role = user_role(user)
    projects = Project.objects.all()
    if sees_all_projects(user):
        return projects
    if role == Role.UNIT and user.profile.unit_id is not None:
        from milestones.models import Node

        unit_id = user.profile.unit_id
        owns_node = Node.objects.filter(responsible_unit_id=unit_id).values_list("project_id", flat=True)
        return projects.filter(_in_unit_scope("unit-visible", [unit_id], unit_id, owns_node))
    return projects.none()


# A unit's scope is given to the database as the list of its project ids, read once per version of
# the data (projects.cache), when there are at most this many: the planner then knows how many
# rows it has. As a subquery (the projects of the unit UNION those of its nodes) it guessed several
# times too many and chose to scan all 100,000 projects, for every list, count and node query of a
# unit's pages (60–140 ms each, issue 12); with the list they take a few milliseconds.
UNIT_SCOPE_LIST_MAX = 20_000


def _in_unit_scope(name: str, parts: list, unit_id: int, node_project_ids: QuerySet) -> Q:
    """Projects `unit_id` is the responsible unit of, or among `node_project_ids` (the projects of
    some of its nodes): a list of ids when short enough (projects.lookups' any_of), else the UNION
    subquery, which reads only the unit's rows by two index scans (`unit = … OR EXISTS (its nodes)`
    tested every project of the table)."""
    from .cache import cached
    from .lookups import Ids

    union = (Project.objects.filter(responsible_unit_id=unit_id).values_list("pk", flat=True).order_by()
             .union(node_project_ids.order_by()))
    ids = cached(name, parts, lambda: Ids(union[:UNIT_SCOPE_LIST_MAX + 1]))
    return Q(pk__any_of=ids) if len(ids) <= UNIT_SCOPE_LIST_MAX else Q(pk__in=union)


def scope_key(user, *, own: bool = False) -> str:
    """What the user's scopes (visible_projects, own_projects, visible_nodes, visible_problems,
    visible_factor_needs) depend on besides the data and the date: the role and the unit. For cache
    keys (projects.cache), where compiling the scope's query to key it cost milliseconds a count."""
    role = user_role(user)
    unit_id = user.profile.unit_id if role == Role.UNIT else None
    return f"{role}:{unit_id or ''}" + (":own" if own and opens_on_own_scope(user) else "")


def opens_on_own_scope(user) -> bool:
    """Issue 9: a unit's pages open on its own work; the whole of its visible scope is one switch away."""
    return user_role(user) == Role.UNIT and user.profile.unit_id is not None


def own_projects(user, *, as_of) -> QuerySet[Project]:
    """A unit's own work (issue 9): the projects it is the responsible unit of, and those where a
    node it owns is overdue or due within 14 days (section 4). Everyone else: visible_projects."""
    if not opens_on_own_scope(user):
        return visible_projects(user)
    import datetime

    from milestones.selectors import DUE_SOON_DAYS, pending_nodes

    unit_id = user.profile.unit_id
    # pending_nodes: those that can be late (section 4, and the 达产 node in production, section 10).
    node_due = pending_nodes().filter(responsible_unit_id=unit_id,
                                      planned_date__lte=as_of + datetime.timedelta(days=DUE_SOON_DAYS))
    node_project_ids = node_due.values_list("project_id", flat=True)
    return Project.objects.filter(_in_unit_scope("unit-own", [unit_id, as_of], unit_id, node_project_ids))


def own_problems(user) -> QuerySet[Problem]:
    """A unit's own problems (issue 9): those assigned to it. Everyone else: visible_problems."""
    if not opens_on_own_scope(user):
        return visible_problems(user)
    return Problem.objects.filter(assigned_unit_id=user.profile.unit_id)


def visible_problems(user) -> QuerySet[Problem]:
    """Problems of the projects the user sees (a unit also sees problems assigned to it)."""
    problems = Problem.objects.all()
    if sees_all_projects(user):
        return problems
    if user_role(user) == Role.UNIT:
        return problems.filter(
            Q(project__in=visible_projects(user).values("pk")) | Q(assigned_unit_id=user.profile.unit_id)
        )
    return problems.none()


def with_thread(problems: QuerySet[Problem]) -> QuerySet[Problem]:
    """Problems with what is said on them, 批示 and replies (each in time order), fetched in two
    queries whatever the number of problems."""
    return problems.prefetch_related("instructions__leader", "replies__unit")


def problem_thread(problem: Problem) -> list[dict]:
    """What was said on a problem in the order it was said (section 7): each reply and each 批示 by
    the day it was given, the 办结 last. Reads the prefetched rows of `with_thread`."""
    from django.utils import timezone

    said = [{"kind": "reply", "who": reply.unit or "单位", "on": reply.replied_on, "at": reply.at, "text": reply.text,
             "pk": reply.pk} for reply in problem.replies.all()]
    said += [{"kind": "instruction", "who": ins.leader, "on": timezone.localdate(ins.at), "at": ins.at,
              "text": ins.text, "pk": ins.pk} for ins in problem.instructions.all()]
    # By the day it happened (a reply may be recorded days later, dated when it was given), then
    # by when it was entered.
    said.sort(key=lambda event: (event["on"], event["at"], event["pk"]))
    if problem.resolution:
        said.append({"kind": "resolution", "who": "", "on": problem.resolved_on, "text": problem.resolution})
    return said


def visible_nodes(user, nodes):
    """A Node queryset (overdue, due soon …) narrowed to the user's projects. Unchanged for those who
    see every project, so their lists keep the plain indexed query."""
    if sees_all_projects(user):
        return nodes
    return nodes.filter(project__in=visible_projects(user).values("pk"))


def visible_leaders(user) -> QuerySet[Leader]:
    """Leaders whose report the user may download: a leader their own, the center and admin any."""
    if user_role(user) == Role.LEADER:
        leader = user_leader(user)
        return Leader.objects.filter(pk=leader.pk) if leader else Leader.objects.none()
    return Leader.objects.all()


def contact_projects(user) -> QuerySet[Project]:
    """A leader's "my contact projects" (市领导联系重大项目制度)."""
    leader = user_leader(user)
    if leader is None:
        return Project.objects.none()
    return visible_projects(user).filter(contact_leader=leader)


def awaiting_instruction(user) -> QuerySet[Problem]:
    """A leader's problems waiting for their 批示: unresolved, on their contact projects, and not yet
    instructed by them (section 7)."""
    leader = user_leader(user)
    if leader is None:
        return Problem.objects.none()
    return (
        Problem.objects.filter(project__in=contact_projects(user).values("pk"))
        .exclude(status=ProblemStatus.RESOLVED)
        .exclude(instructions__leader=leader)
    )


def next_project_code(*, year: int, prefix: str | None = None) -> str:
    """Issue 9: the next free 项目编号 of a year, `{prefix}{year}-{seq}` (three digits at least),
    after the highest sequence in use in any state (在谈 and 终止 projects keep their codes)."""
    import re

    from django.conf import settings

    prefix = settings.PROJECT_CODE_PREFIX if prefix is None else prefix
    stem = f"{prefix}{year}-"
    pattern = re.compile(rf"^{re.escape(stem)}(\d+)$")
    used = [int(m.group(1)) for code in Project.objects.filter(code__startswith=stem).values_list("code", flat=True)
            if (m := pattern.match(code))]
    return f"{stem}{max(used, default=0) + 1:03d}"


def likely_duplicates(*, name: str, investor: str) -> QuerySet[Project]:
    """Issue 9: a deal with the same name and investor was probably logged already."""
    return Project.objects.filter(name__iexact=name.strip(), investor__iexact=investor.strip())


def unit_nodes(user):
    """A unit user's own nodes that are not done, on active projects (and the 达产 node of projects
    in production, section 10), soonest first ("my nodes")."""
    from milestones.models import Node
    from milestones.selectors import pending_nodes

    unit = user_unit(user)
    if unit is None:
        return Node.objects.none()
    return (
        pending_nodes().filter(responsible_unit=unit)
        .select_related("project", "project__contact_leader")
        .order_by("planned_date", "project__code")
    )


# --- what they may do ----------------------------------------------------------------------------


def can_edit(user, project: Project | None = None) -> bool:
    """Create and edit deals: the investment center and administrators."""
    return is_center(user)


def can_revert(user, project: Project | None = None) -> bool:
    return is_center(user)


def can_see_changes(user, project: Project | None = None) -> bool:
    """The audit trail (变更记录, issue 8 §2): the investment center and administrators."""
    return is_center(user)


def state_transitions(project: Project) -> list[str]:
    """The transitions whose source is the project's current state, in the order of section 2.
    Guards are not checked here: the form shows the guard's Chinese message when one refuses."""
    from .services import TRANSITION_FIELDS

    names = set()
    for t in project.get_all_status_transitions():
        if t.source not in (project.status, "*"):
            continue
        # A condition the short form cannot satisfy (start before land on a project that needs
        # land) would only ever refuse: no button. Fillable ones (the sign data, the land area,
        # the statistics code) show the button and let the guard explain.
        if t.name not in TRANSITION_FIELDS and not all(condition(project) for condition in t.conditions):
            continue
        if t.name == Transition.ACQUIRE_LAND and not project.needs_new_land:
            continue
        names.add(t.name)
    return [name for name in Transition.values if name in names]


def transition_node_unit_id(project: Project, name: str, nodes=None):
    """The unit that owns the node a transition records (None for suspend/resume/terminate)."""
    from milestones.services import TRANSITION_NODE

    node_type = TRANSITION_NODE.get(name)
    if node_type is None:
        return None
    nodes = nodes if nodes is not None else list(project.nodes.all())
    for node in nodes:
        if node.node_type == node_type:
            return node.responsible_unit_id
    return None


def can_transition(user, project: Project, name: str, nodes=None) -> bool:
    """Issue 5: the center makes every transition; a unit user only the one recording a node its
    unit owns; leaders make none. The guard itself is checked later by the service."""
    role = user_role(user)
    if role in (Role.CENTER, Role.ADMIN):
        return True
    if role == Role.UNIT and name not in CENTER_ONLY_TRANSITIONS:
        unit_id = user.profile.unit_id
        return unit_id is not None and transition_node_unit_id(project, name, nodes) == unit_id
    return False


def allowed_transitions(user, project: Project, nodes=None) -> list[str]:
    """The transition buttons to show this user on this project."""
    return [name for name in state_transitions(project) if can_transition(user, project, name, nodes)]


def can_review_capacity(user, project: Project, nodes=None) -> bool:
    """达产复核 (section 10): the center, or the unit that owns the project's 达产 node, once the
    project produces (in production or at capacity)."""
    from .services import REVIEWABLE_STATUSES

    if project.status not in REVIEWABLE_STATUSES:
        return False
    return can_transition(user, project, Transition.REACH_CAPACITY, nodes)


def can_add_note(user, project: Project) -> bool:
    return user_role(user) in (Role.CENTER, Role.ADMIN, Role.UNIT)


def can_raise_problem(user, project: Project) -> bool:
    return user_role(user) in (Role.CENTER, Role.ADMIN, Role.UNIT)


def can_assign_problem(user, problem: Problem | None = None) -> bool:
    """交办 (assign to a unit with a reply-by date): the center."""
    return is_center(user)


def can_resolve_problem(user, problem: Problem | None = None) -> bool:
    return is_center(user) and (problem is None or problem.status != ProblemStatus.RESOLVED)


def can_reply_problem(user, problem: Problem) -> bool:
    """The unit a problem is assigned to replies (administrators may act for it)."""
    if problem.status == ProblemStatus.RESOLVED:
        return False
    role = user_role(user)
    if role == Role.ADMIN:
        return True
    return role == Role.UNIT and problem.assigned_unit_id is not None and (
        problem.assigned_unit_id == user.profile.unit_id
    )


def can_instruct(user, problem: Problem | None = None) -> bool:
    """A city leader gives instructions (批示); the account must be linked to a Leader record."""
    return user_role(user) == Role.LEADER and user_leader(user) is not None


def can_see_reports(user) -> bool:
    return user_role(user) in (Role.CENTER, Role.LEADER, Role.ADMIN)


# --- 要素保障 (DOMAIN.md section 11) -------------------------------------------------------------


def visible_factor_needs(user):
    """Needs of the projects the user sees; a unit also sees the needs it is responsible for (the
    energy quota is 发改局's business even on a project none of whose nodes it owns)."""
    from milestones.models import FactorNeed

    needs = FactorNeed.objects.all()
    if sees_all_projects(user):
        return needs
    if user_role(user) == Role.UNIT and user.profile.unit_id is not None:
        return needs.filter(
            Q(project__in=visible_projects(user).values("pk")) | Q(responsible_unit_id=user.profile.unit_id)
        )
    return needs.none()


def can_plan_needs(user) -> bool:
    """State a project's needs and set a needed-by date by hand: the investment center."""
    return is_center(user)


def can_secure_need(user, need) -> bool:
    """Record what was secured: the center, or the unit responsible for the need."""
    if is_center(user):
        return True
    return user_role(user) == Role.UNIT and need.responsible_unit_id is not None and (
        need.responsible_unit_id == user.profile.unit_id
    )


def leader_focus(user, *, as_of, limit: int | None = None) -> dict:
    """What needs a leader first (issue 9): their red and yellow contact projects, most overdue
    first, and the problems waiting for their 批示, with how many there are of each. With `limit`,
    only the first `limit` of each list (the dashboard's cards, whose totals are cached counts:
    a province's leader can have thousands); without, all of them (我的联系项目)."""
    from milestones.selectors import annotate_light, light_q, most_overdue_first

    from .cache import cached

    late = contact_projects(user).filter(light_q("red", as_of=as_of) | light_q("yellow", as_of=as_of))
    flagged = annotate_light(late.select_related("responsible_unit"), as_of=as_of).order_by(
        most_overdue_first(), "code"
    )
    awaiting = with_thread(
        awaiting_instruction(user).select_related("project", "assigned_unit").order_by("reply_by", "pk")
    )
    if limit is None:
        flagged, awaiting = list(flagged), list(awaiting)
        return {"flagged": flagged, "awaiting": awaiting, "flagged_total": len(flagged),
                "awaiting_total": len(awaiting)}
    leader = user_leader(user)
    key = [as_of, leader.pk if leader else None]
    return {"flagged": list(flagged[:limit]), "awaiting": list(awaiting[:limit]),
            "flagged_total": cached("leader-late", key, late.count),
            "awaiting_total": cached("leader-awaiting", key, awaiting_instruction(user).count)}
