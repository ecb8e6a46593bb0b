"""Writes to nodes. Called by projects.services inside the caller's transaction."""

from django.core.exceptions import ValidationError

from projects.models import Project
from projects.validation import date_problem

from .dates import add_months
from .models import NODE_ORDER, DeadlineRule, Node, NodeType
from .selectors import next_due_expression, next_due_of

TRANSITION_NODE = {
    "sign": NodeType.SIGN,
    "acquire_land": NodeType.LAND,
    "start": NodeType.START,
    "enter_statistics": NodeType.STATISTICS,
    "start_production": NodeType.PRODUCTION,
    "reach_capacity": NodeType.CAPACITY,
}


def applicable_node_types(project: Project) -> list[str]:
    """Section 3: one node per step; `land` does not apply to a project that needs no new land."""
    return node_types_for(needs_new_land=project.needs_new_land)


def node_types_for(*, needs_new_land: bool) -> list[str]:
    """applicable_node_types before there is a project (the ledger counts a new row's nodes)."""
    return [t for t in NODE_ORDER if t != NodeType.LAND or needs_new_land]


def rules_by_type() -> dict[str, DeadlineRule]:
    return {rule.node_type: rule for rule in DeadlineRule.objects.select_related("default_unit")}


def node_unit(project: Project, rule: DeadlineRule | None, platform_unit=None):
    """Section 3: the configured default owner, else the project's own responsible unit."""
    if rule is not None:
        if rule.use_platform_unit and platform_unit is not None:
            return platform_unit
        if rule.default_unit_id is not None:
            return rule.default_unit
    return project.responsible_unit


def derive_planned_dates(nodes: dict[str, Node], rules: dict[str, DeadlineRule]) -> list[Node]:
    """Section 3: a node without an agreed date gets the previous applicable node's actual date,
    else its planned date, plus the rule's months. Walks in step order so a change cascades.
    Returns the nodes whose planned date changed."""
    changed = []
    for node_type in NODE_ORDER:
        node = nodes.get(node_type)
        if node is None or node.planned_is_agreed:
            continue
        rule = rules.get(node_type)
        previous = _previous_applicable(nodes, rule, rules)
        if previous is None:
            if node_type == NodeType.SIGN:
                continue  # the sign node has no predecessor: its plan is whatever was entered
            planned = None
        else:
            base = previous.actual_date or previous.planned_date
            planned = add_months(base, rule.months) if base else None
        if planned != node.planned_date:
            node.planned_date = planned
            changed.append(node)
    return changed


def _previous_applicable(nodes, rule, rules):
    after = rule.after if rule else ""
    while after:
        if after in nodes:
            return nodes[after]
        after_rule = rules.get(after)
        after = after_rule.after if after_rule else ""
    return None


def sync_nodes(*, project: Project, agreed_dates: dict[str, object] | None = None,
               actual_dates: dict[str, object] | None = None, rules=None) -> list[Node]:
    """Bring a project's nodes in line with its data: create the applicable ones, drop `land` when
    the project needs no new land, set agreed planned dates (a `None` value clears the agreement so
    the date is derived again), set actual dates, assign owners, and re-derive planned dates."""
    rules = rules if rules is not None else rules_by_type()
    agreed_dates = agreed_dates or {}
    problems = [f"{NodeType(node_type).label}计划日期：{date_problem(day)}"
                for node_type, day in agreed_dates.items() if date_problem(day)]
    if problems:
        raise ValidationError({"planned_dates": problems})
    actual_dates = actual_dates or {}
    existing = {n.node_type: n for n in project.nodes.all()} if project.pk else {}
    wanted = applicable_node_types(project)
    stale = [n.pk for t, n in existing.items() if t not in wanted]
    if stale:
        Node.objects.filter(pk__in=stale).delete()
    platform_unit = project.platform.unit if project.platform_id else None
    nodes = {}
    for node_type in wanted:
        node = existing.get(node_type) or Node(project=project, node_type=node_type)
        if node_type in agreed_dates:
            node.planned_date = agreed_dates[node_type]
            node.planned_is_agreed = agreed_dates[node_type] is not None
        if node_type in actual_dates:
            node.actual_date = actual_dates[node_type]
        node.responsible_unit = node_unit(project, rules.get(node_type), platform_unit)
        nodes[node_type] = node
    if NodeType.SIGN in nodes and project.signing_date:
        sign = nodes[NodeType.SIGN]
        sign.actual_date = project.signing_date
        if not sign.planned_is_agreed:
            sign.planned_date = project.signing_date
    derive_planned_dates(nodes, rules)
    for node in nodes.values():
        node.save()
    store_next_due(project=project, nodes=nodes.values())
    return list(nodes.values())


def store_next_due(*, project: Project, nodes=None) -> None:
    """Keep `project.next_due` (section 4's earliest pending planned date, milestones.selectors)
    in line with its nodes and state, in the caller's transaction. Every writer of a node or of
    the state calls this (sync_nodes does), or `refresh_next_due` after a bulk write. `nodes`:
    all the project's nodes as now stored (read when not given)."""
    nodes = list(project.nodes.all()) if nodes is None else nodes
    due = next_due_of(project.status, nodes)
    if due != project.next_due:
        Project.objects.filter(pk=project.pk).update(next_due=due)
        project.next_due = due


def refresh_next_due(*, projects=None) -> int:
    """`next_due` recomputed in the database, in one UPDATE, for `projects` (a Project queryset,
    or every project): for bulk writes that bypass sync_nodes (data generators, repairs)."""
    projects = Project.objects.all() if projects is None else projects
    return projects.update(next_due=next_due_expression())


def record_actual(*, project: Project, transition: str, effective_date):
    """Set the node's actual date for a transition and re-derive the dates after it; call it after
    the project's new state is saved (it keeps `next_due` in line with that state too).
    Returns the node's previous actual date (or None), for an audited revert."""
    node_type = TRANSITION_NODE.get(transition)
    if node_type is None:
        # Suspend, resume, terminate: no node moves, but the state decides which nodes can be late.
        store_next_due(project=project)
        return None
    previous = project.nodes.filter(node_type=node_type).values_list("actual_date", flat=True).first()
    sync_nodes(project=project, actual_dates={node_type: effective_date})
    return previous
