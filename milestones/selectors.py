"""Reads about nodes: overdue, due soon, lights (DOMAIN.md section 4).

Everything here is computed by the database from the pending-node partial index
(`node_pending_planned`: planned_date where actual_date IS NULL), so the cost follows the number of
late nodes, not the number of projects (the healthchecks `alert_after` pattern, see STYLE.md). A
project's light reads the same date kept on the project (`Project.next_due`, indexed).
"""

import datetime

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import CharField as CharFieldType

from projects.models import ACTIVE_STATUSES, LIGHT_STATUSES, Project, Status, Unit

from .models import NODE_ORDER, Node, NodeType

RED_AFTER_DAYS = 30  # section 4: red when overdue by more than 30 days
DUE_SOON_DAYS = 14  # section 4: due soon when D <= planned <= D + 14


class IntFromDatabase:
    """For an integer expression both backends already return as an int: no converter called per
    row (Django's int() of each value, for the overdue list's 18,612 rows or the 1330 report's)."""

    @property
    def convert_value(self):
        return self._convert_value_noop


class DaysBetween(IntFromDatabase, Func):
    """`later - earlier` in whole calendar days as an integer, on PostgreSQL and SQLite alike.

    Django's date subtraction yields an interval on PostgreSQL and microseconds on SQLite; the
    reports and the JSON contract need a plain int, computed in the query.
    """

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"(CAST({later} AS date) - CAST({earlier} AS date))", (*later_params, *earlier_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return (
            f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)",
            (*later_params, *earlier_params),
        )


class IsoDate(Func):
    """A date as its ISO text, YYYY-MM-DD, made by the database: to_char on PostgreSQL (whatever the
    server's DateStyle), the stored text itself on SQLite (cast, or the driver would parse the
    column back into a date). For JSON that prints dates as text: no isoformat() per row in Python."""

    output_field = CharFieldType()
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"TO_CHAR({sql}, 'YYYY-MM-DD')", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST({sql} AS TEXT)", params


def _date(value: datetime.date) -> Value:
    return Value(value, output_field=DateField())


def red_before(as_of: datetime.date) -> datetime.date:
    """A pending node planned before this date is red (overdue by more than 30 days)."""
    return as_of - datetime.timedelta(days=RED_AFTER_DAYS)


def _node_order() -> Case:
    return Case(*[When(node_type=t, then=Value(i)) for i, t in enumerate(NODE_ORDER)], output_field=IntegerField())


def live_node_q() -> Q:
    """Sections 4 and 10: which nodes can be overdue or due soon — every node of an active project
    (signed … in_statistics), and only the 达产 node of an in-production one."""
    return Q(project__status__in=ACTIVE_STATUSES) | Q(project__status=Status.IN_PRODUCTION,
                                                      node_type=NodeType.CAPACITY)


def with_live_node_q(nodes: QuerySet[Node]) -> Q:
    """Projects that have one of `nodes` among the nodes that can be late (live_node_q, seen from the
    project): two uncorrelated `IN` lists the database builds once from the node indexes, where
    an EXISTS per project ran a join for each of them (a unit's own scope, issue 12)."""
    return (Q(status__in=ACTIVE_STATUSES, pk__in=nodes.values("project_id"))
            | Q(status=Status.IN_PRODUCTION, pk__in=nodes.filter(node_type=NodeType.CAPACITY).values("project_id")))


def pending_nodes() -> QuerySet[Node]:
    """Nodes of active projects that are not done: the population of sections 4 and 10."""
    return Node.objects.filter(live_node_q(), actual_date__isnull=True)


# --- a project's earliest pending planned date (Project.next_due) --------------------------------
# A project's light, its overdue days and its place in the overdue order all follow from one date:
# the earliest planned date among its nodes in `pending_nodes()`. The date is stored on the project
# (milestones.services keeps it); these two say what it is, in Python and in SQL.


def next_due_of(status: str, nodes) -> datetime.date | None:
    """Section 4 (and 10 for in_production): the earliest planned date of the project's nodes that
    can be late — every pending node while active, the 达产 node alone in production — or None."""
    if status in ACTIVE_STATUSES:
        live = nodes
    elif status == Status.IN_PRODUCTION:
        live = [node for node in nodes if node.node_type == NodeType.CAPACITY]
    else:
        return None
    return min((n.planned_date for n in live if n.actual_date is None and n.planned_date is not None), default=None)


def next_due_expression() -> Case:
    """`next_due_of` as an SQL expression over a Project queryset (for bulk writes and checks)."""
    pending = Node.objects.filter(project=OuterRef("pk"), actual_date__isnull=True, planned_date__isnull=False)

    def earliest(nodes):
        return Subquery(nodes.order_by("planned_date").values("planned_date")[:1])

    return Case(
        When(status__in=ACTIVE_STATUSES, then=earliest(pending)),
        When(status=Status.IN_PRODUCTION, then=earliest(pending.filter(node_type=NodeType.CAPACITY))),
        default=None,
        output_field=DateField(),
    )


def _light(as_of: datetime.date) -> Case:
    """Section 4's light of one pending node: red past 30 days, yellow past its date, else none."""
    return Case(
        When(planned_date__lt=red_before(as_of), then=Value("red")),
        When(planned_date__lt=as_of, then=Value("yellow")),
        default=None,
        output_field=CharFieldType(),
    )


def with_urgency(nodes: QuerySet[Node], *, as_of: datetime.date) -> QuerySet[Node]:
    """Pending nodes grouped as a unit works through them (section 4): `urgency` is 'overdue',
    'soon' (within 14 days) or 'later'; overdue ones carry `overdue_days` and `light`. Ordered most
    urgent first, which is simply the planned date (undated nodes last)."""
    soon_until = as_of + datetime.timedelta(days=DUE_SOON_DAYS)
    return nodes.annotate(
        urgency=Case(
            When(planned_date__lt=as_of, then=Value("overdue")),
            When(planned_date__lte=soon_until, then=Value("soon")),
            default=Value("later"),
            output_field=CharFieldType(),
        ),
        overdue_days=Case(When(planned_date__lt=as_of, then=DaysBetween(_date(as_of), F("planned_date"))),
                          default=None, output_field=IntegerField()),
        light=_light(as_of),
        node_order=_node_order(),
    ).order_by(F("planned_date").asc(nulls_last=True), "project__code", "node_order")


def owner_reason(node: Node, rule) -> str:
    """Why a node is its unit's (section 3's owner rule, the reading of milestones.services.node_unit):
    the platform's unit, the rule's default unit, or the project's own responsible unit."""
    project = node.project
    label = node.get_node_type_display()
    platform = project.platform
    if rule is not None and rule.use_platform_unit and platform is not None and (
        platform.unit_id == node.responsible_unit_id
    ):
        return f"{label}节点由项目所在平台「{platform.name}」的管理单位负责"
    if rule is not None and rule.default_unit_id == node.responsible_unit_id:
        return f"节点规则：{label}节点默认由本单位负责"
    if project.responsible_unit_id == node.responsible_unit_id:
        return "本单位是项目的责任单位"
    return f"{label}节点指定由本单位负责"


def overdue_nodes(*, as_of: datetime.date) -> QuerySet[Node]:
    """DOMAIN.md section 4: a node is overdue when its project is active, it applies (it exists),
    it has no actual date and its planned date is earlier than `as_of`.

    Annotated with `overdue_days` (as_of − planned date, calendar days) and `light` ('red' when
    more than 30 days, else 'yellow'); most overdue first, then project code, then node order.
    One query. The condition on the project's `next_due` adds no rule (a project with an overdue node
    has its earliest pending date before `as_of` too) but gives the planner a row count it can trust:
    it reads the few projects with something late from their index, where from the nodes' dates
    alone it guessed 16 times too many pending ones and hashed all 100,000 projects (issue 12).
    """
    return (
        pending_nodes()
        .filter(planned_date__lt=as_of, project__next_due__lt=as_of)
        .select_related("project", "project__contact_leader", "project__responsible_unit", "responsible_unit")
        .annotate(
            overdue_days=DaysBetween(_date(as_of), F("planned_date")),
            light=_light(as_of),
            node_order=_node_order(),
        )
        .order_by("planned_date", "project__code", "node_order")
    )


def due_soon_nodes(*, as_of: datetime.date, days: int = DUE_SOON_DAYS) -> QuerySet[Node]:
    """DOMAIN.md section 4: a node of an active project is due soon (预警) when it is not done and
    as_of <= planned date <= as_of + 14 days. Annotated with `days_left`; soonest first."""
    return (
        pending_nodes()
        .filter(planned_date__gte=as_of, planned_date__lte=as_of + datetime.timedelta(days=days))
        .select_related("project", "project__contact_leader", "project__responsible_unit", "responsible_unit")
        .annotate(days_left=DaysBetween(F("planned_date"), _date(as_of)), node_order=_node_order())
        .order_by("planned_date", "project__code", "node_order")
    )


OVERDUE_ROW_KEYS = ("project", "node", "planned_date", "overdue_days", "light", "responsible_unit", "contact_leader")


def overdue_rows(*, as_of: datetime.date, projects: QuerySet[Project] | None = None) -> list[dict]:
    """The overdue list as the JSON of DOMAIN.md section 9, most overdue first; limited to
    `projects` when given (a subquery, still one query)."""
    nodes = overdue_nodes(as_of=as_of).select_related(None).annotate(planned_on=IsoDate("planned_date"))
    if projects is not None:
        nodes = nodes.filter(project__in=projects.values("pk"))
    # Each row comes back as the JSON's values, in its key order (the date as text, the days an int):
    # a dict is then zipped in C rather than built key by key (issue 12: 18,612 rows).
    rows = nodes.values_list("project__code", "node_type", "planned_on", "overdue_days", "light",
                             "responsible_unit__name", "project__contact_leader__name")
    return [dict(zip(OVERDUE_ROW_KEYS, row)) for row in rows]


def light_q(light: str, *, as_of: datetime.date) -> Q:
    """Projects whose section 4 light is `light` ('red', 'yellow' or 'green') as of `as_of`: a range
    on the indexed `next_due`, plus the states that have a light."""
    has_light = Q(status__in=LIGHT_STATUSES)
    if light == "red":
        return has_light & Q(next_due__lt=red_before(as_of))
    if light == "yellow":
        return has_light & Q(next_due__gte=red_before(as_of), next_due__lt=as_of)
    if light == "green":
        return has_light & (Q(next_due__isnull=True) | Q(next_due__gte=as_of))
    raise ValueError(f"unknown light {light!r}")


def most_overdue_first() -> OrderBy:
    """The order of `max_overdue_days` descending (most overdue first, no light last) as a scan of
    the `next_due` index: the earliest pending date is the most overdue. Projects with nothing late
    follow, soonest due first, then those with no light."""
    return F("next_due").asc(nulls_last=True)


def annotate_light(queryset: QuerySet[Project], *, as_of: datetime.date) -> QuerySet[Project]:
    """DOMAIN.md section 4, per project: `light` is 'red' when some node is overdue by more than 30
    days, 'yellow' when some node is overdue by 1–30 days and none by more, 'green' when active with
    nothing overdue, None for a project that has no light (negotiating, suspended, terminated, at
    capacity). An in-production project's light comes from its 达产 node alone (section 10).
    `max_overdue_days` is the worst node's overdue days (None when nothing is late).

    Both are comparisons of the project's stored `next_due` (the earliest pending planned date of
    the nodes that can be late) with `as_of`: whether a node is pending is read as it is now, for
    any `as_of`, as the node lists do, so the stored date serves past and future dates alike.
    """
    active = Q(status__in=LIGHT_STATUSES)
    return queryset.annotate(
        max_overdue_days=Case(
            When(active & Q(next_due__lt=as_of), then=DaysBetween(_date(as_of), F("next_due"))),
            default=None,
            output_field=IntegerField(),
        ),
        light=Case(
            When(~active, then=None),
            When(next_due__lt=red_before(as_of), then=Value("red")),
            When(next_due__lt=as_of, then=Value("yellow")),
            default=Value("green"),
            output_field=CharFieldType(),
        ),
    )


def _light_aggregates(as_of: datetime.date) -> dict:
    return {
        "total": Count("pk"),
        "red": Count("pk", filter=Q(next_due__lt=red_before(as_of))),
        "late": Count("pk", filter=Q(next_due__lt=as_of)),
    }


def light_counts(*, as_of: datetime.date, projects: QuerySet[Project] | None = None) -> dict:
    """How many projects are red, yellow and green (section 4): one query over the projects that
    have a light, whatever their number."""
    projects = Project.objects.all() if projects is None else projects
    counts = projects.filter(status__in=LIGHT_STATUSES).aggregate(**_light_aggregates(as_of))
    red, late = counts["red"] or 0, counts["late"] or 0
    return {"red": red, "yellow": late - red, "green": (counts["total"] or 0) - late}


def light_counts_by_unit(*, as_of: datetime.date) -> list[dict]:
    """The summary by unit of the weekly alert and the bulletin (section 6).

    A light belongs to a project, so red/yellow/green count projects by the project's own
    responsible unit (责任单位, the ledger's column: the unit answerable for the project as a whole).
    `overdue_nodes` counts the overdue nodes each unit owns as the node's responsible unit (who has
    to act: 自然资源局 for 供地 …), so a unit with no projects of its own can still have late nodes.
    Rows: {"unit_id", "unit", "red", "yellow", "green", "overdue_nodes"}, in the units' order;
    units with nothing to count are left out. Three queries whatever the number of projects.
    """
    per_unit: dict[int | None, dict] = {}

    def row(unit_id):
        return per_unit.setdefault(unit_id, {"red": 0, "yellow": 0, "green": 0, "overdue_nodes": 0})

    by_project_unit = (
        Project.objects.filter(status__in=LIGHT_STATUSES)
        .values("responsible_unit")
        .annotate(**_light_aggregates(as_of))
        .order_by()
    )
    for item in by_project_unit:
        r = row(item["responsible_unit"])
        r["red"] += item["red"]
        r["yellow"] += item["late"] - item["red"]
        r["green"] += item["total"] - item["late"]
    by_node_unit = (
        pending_nodes().filter(planned_date__lt=as_of).values("responsible_unit").annotate(n=Count("pk")).order_by()
    )
    for item in by_node_unit:
        row(item["responsible_unit"])["overdue_nodes"] += item["n"]
    units = Unit.objects.filter(pk__in=[k for k in per_unit if k is not None])
    result = [{"unit_id": u.pk, "unit": u.name, **per_unit[u.pk]} for u in units]
    if None in per_unit:
        result.append({"unit_id": None, "unit": "（未指定单位）", **per_unit[None]})
    return result


def suspended_projects(*, as_of: datetime.date) -> QuerySet[Project]:
    """Section 4: suspended projects have no light and are listed apart, with how long they have
    been suspended (`suspended_days`, calendar days since `suspended_on`); longest first."""
    return (
        Project.objects.filter(status=Status.SUSPENDED)
        .select_related("responsible_unit", "contact_leader")
        .annotate(
            suspended_days=Case(
                When(suspended_on__isnull=False, then=DaysBetween(_date(as_of), F("suspended_on"))),
                default=None,
                output_field=IntegerField(),
            )
        )
        .order_by(F("suspended_on").asc(nulls_last=True), "code")
    )
