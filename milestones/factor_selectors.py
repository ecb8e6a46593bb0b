"""Reads about 要素保障 (DOMAIN.md section 11): needed-by dates, 已保障 / 预警 / 逾期未保障, totals.

A need's default needed-by date is its node's planned date, read in the same query (a join on the
unique (project, node_type) index), so it follows every change of the node however
the node was changed (a transition, an edit, the ledger import) and nothing has to be kept in sync.
Every function here is a fixed number of queries, whatever the number of projects.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    DateField,
    DecimalField,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from projects.models import Status

from .models import FACTOR_ORDER, FACTOR_UNITS, FactorNeed, FactorType, Node, NodeType
from .selectors import DaysBetween

AT_RISK_DAYS = 30  # section 11: 预警 when D <= needed-by <= D + 30 days

# Section 11 names the active states itself (signed … in_statistics); a project in production or
# beyond has no land, energy or funds left to chase.
FACTOR_ACTIVE_STATUSES = (Status.SIGNED, Status.LAND_ACQUIRED, Status.STARTED, Status.IN_STATISTICS)


class FactorStatus:
    SECURED = "secured"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    OPEN = "open"  # a gap, but the date is more than 30 days away (or not known yet)
    INACTIVE = "inactive"  # the project is not active: no status (section 11 speaks of active ones)

    LABELS = {SECURED: "已保障", AT_RISK: "预警", OVERDUE: "逾期未保障", OPEN: "待保障", INACTIVE: "非在建"}


AMOUNT = DecimalField(max_digits=18, decimal_places=4)


NODE_JOINS = {NodeType.LAND: "land_node", NodeType.START: "start_node", NodeType.PRODUCTION: "production_node"}


def _node_joins() -> dict[str, FilteredRelation]:
    """One LEFT JOIN per node a need may follow, on the unique (project, node_type) index. Joins, not
    correlated subqueries: the date is referenced by the status, the filter and the ordering, and a
    subquery is run again at each reference (bench/factors.py: 293 ms at 2,000 projects with them)."""
    return {alias: FilteredRelation("project__nodes", condition=Q(project__nodes__node_type=node_type))
            for node_type, alias in NODE_JOINS.items()}


def _planned(node_type: str) -> F:
    return F(f"{NODE_JOINS[node_type]}__planned_date")


def default_needed_by() -> Case:
    """Section 11's default needed-by date: the land node's planned date (the start node's where the
    project needs no new land), the production node's for energy, the start node's for funds.
    Needs the joins of `_node_joins`."""
    return Case(
        When(factor_type=FactorType.LAND, project__needs_new_land=True, then=_planned(NodeType.LAND)),
        When(factor_type=FactorType.ENERGY, then=_planned(NodeType.PRODUCTION)),
        default=_planned(NodeType.START),
        output_field=DateField(),
    )


def gap_expression() -> Case:
    """needed − secured where that is above zero, else 0 (the positive gap of section 11)."""
    return Case(When(secured__lt=F("needed"), then=F("needed") - F("secured")), default=Value(Decimal(0)),
                output_field=AMOUNT)


def status_expression(as_of: datetime.date) -> Case:
    """Section 11, as of D, for an active project: 已保障 when secured ≥ needed; otherwise 逾期未保障
    when needed-by < D, 预警 when D ≤ needed-by ≤ D + 30 days. Needs the `needed_by` annotation."""
    return Case(
        When(~Q(project__status__in=FACTOR_ACTIVE_STATUSES), then=Value(FactorStatus.INACTIVE)),
        When(secured__gte=F("needed"), then=Value(FactorStatus.SECURED)),
        When(needed_by__lt=as_of, then=Value(FactorStatus.OVERDUE)),
        When(needed_by__lte=as_of + datetime.timedelta(days=AT_RISK_DAYS), then=Value(FactorStatus.AT_RISK)),
        default=Value(FactorStatus.OPEN),
        output_field=CharField(),
    )


def annotate_needs(needs: QuerySet[FactorNeed], *, as_of: datetime.date) -> QuerySet[FactorNeed]:
    """`needed_by` (set by hand, else the node's planned date), `gap`, `status` and `days` (D − needed-by:
    positive when overdue) on each need."""
    return needs.annotate(**_node_joins()).annotate(
        needed_by=Coalesce(F("needed_by_set"), default_needed_by(), output_field=DateField()),
    ).annotate(
        gap=gap_expression(),
        status=status_expression(as_of),
        days=DaysBetween(Value(as_of, output_field=DateField()), F("needed_by")),
        type_order=Case(*[When(factor_type=t, then=Value(i)) for i, t in enumerate(FACTOR_ORDER)],
                        output_field=IntegerField()),
    )


def active_needs(needs: QuerySet[FactorNeed] | None = None) -> QuerySet[FactorNeed]:
    """The needs of active projects, within `needs` when given (a user's scope)."""
    needs = FactorNeed.objects.all() if needs is None else needs
    return needs.filter(project__status__in=FACTOR_ACTIVE_STATUSES)


def urgent_needs(*, as_of: datetime.date, needs=None) -> QuerySet[FactorNeed]:
    """The needs of active projects that are 预警 or 逾期未保障, most urgent first: the earliest
    needed-by date (the longest overdue) first, then the larger gap."""
    return (
        annotate_needs(active_needs(needs), as_of=as_of)
        .filter(status__in=(FactorStatus.OVERDUE, FactorStatus.AT_RISK))
        .select_related("project", "responsible_unit")
        .order_by("needed_by", "-gap", "project__code", "type_order")
    )


def overdue_needs(*, as_of: datetime.date, needs=None) -> QuerySet[FactorNeed]:
    """Section 11: 逾期未保障 needs (gap > 0 and needed-by < D) of active projects."""
    return urgent_needs(as_of=as_of, needs=needs).filter(status=FactorStatus.OVERDUE)


def factor_totals(*, needs: QuerySet[FactorNeed] | None = None) -> dict:
    """Section 11: per type, over the active projects, needed = Σ needed, secured = Σ secured and
    gap = Σ of each need's positive gap. One query; every type present, zeros included."""
    rows = (
        active_needs(needs).values("factor_type")
        .annotate(needed_sum=Sum("needed"), secured_sum=Sum("secured"), gap_sum=Sum(gap_expression()))
        .order_by()
    )
    totals = {t.value: {"needed": Decimal(0), "secured": Decimal(0), "gap": Decimal(0)} for t in FACTOR_ORDER}
    for row in rows:
        totals[row["factor_type"]] = {"needed": row["needed_sum"] or Decimal(0),
                                      "secured": row["secured_sum"] or Decimal(0),
                                      "gap": row["gap_sum"] or Decimal(0)}
    return totals


def number(value):
    """A JSON number for an amount: an int when whole, else a float (amounts carry 4 decimals)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


TYPE_LABELS = {t.value: t.label for t in FactorType}


def report_factors(*, as_of: datetime.date, needs: QuerySet[FactorNeed] | None = None) -> dict:
    """The JSON of `report_factors` (DOMAIN.md section 11): totals per type over the active projects,
    and the 预警 (`at_risk`) and 逾期未保障 (`overdue`) needs, most urgent first. Two queries; the
    needs come back as plain rows, not model instances (building a need, its project and its unit
    was most of the time at 100,000 projects: bench/factors.py)."""
    at_risk, overdue = [], []
    rows = urgent_needs(as_of=as_of, needs=needs).values_list(
        "project__code", "factor_type", "needed", "secured", "gap", "needed_by", "project__name", "days",
        "responsible_unit__name", "status",
    )
    for code, factor_type, needed, secured, gap, needed_by, name, days, unit, status in rows:
        (overdue if status == FactorStatus.OVERDUE else at_risk).append({
            "project": code,
            "type": factor_type,
            "needed": number(needed),
            "secured": number(secured),
            "gap": number(gap),
            "needed_by": needed_by.isoformat() if needed_by else None,
            "name": name,
            "type_label": TYPE_LABELS[factor_type],
            "measure": FACTOR_UNITS[factor_type],
            "days": days,
            "responsible_unit": unit,
        })
    totals = {
        key: {name: number(value) for name, value in figures.items()}
        for key, figures in factor_totals(needs=needs).items()
    }
    return {"as_of": as_of.isoformat(), "totals": totals, "at_risk": at_risk, "overdue": overdue}
