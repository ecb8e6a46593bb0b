"""The 标准地 compliance report and the 亩均 ranking (DOMAIN.md sections 10 and 11).

The rules themselves (per-亩 figures, met, shortfall, verdict) are projects.compliance; this module
picks the projects as of a date and shapes the JSON of section 11's `report_compliance` contract.
Two queries whatever the number of projects.
"""

import datetime
from decimal import Decimal

from django.db.models import Case, Count, ExpressionWrapper, F, FilteredRelation, FloatField, Q, QuerySet, Sum, When
from django.db.models.functions import Cast, Round

from milestones.models import Node, NodeType
from milestones.selectors import IsoDate
from projects import compliance
from projects.bulk import cycle_collector_paused
from projects.models import Project, Status

from .selectors import UNSET, competition_rank, highest_first

STATUS_LABELS = dict(Status.choices)
VERDICT_ORDER = {False: 0, None: 1, True: 2}  # 未达标 first: what the 晾晒 is for


def _number(value: Decimal | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def _node(node_type: str) -> FilteredRelation:
    """A LEFT JOIN on the project's node of this type (the unique (project, node_type) index): a
    correlated subquery per project ran again at each reference (bench/compliance.py)."""
    return FilteredRelation("nodes", condition=Q(nodes__node_type=node_type))


def agreed_q() -> Q:
    """Projects with at least one 标准地 agreed indicator."""
    q = Q(pk__in=[])
    for name in compliance.AGREED_FIELDS:
        q |= Q(**{f"{name}__isnull": False})
    return q


def _float(value, places: int) -> ExpressionWrapper:
    return ExpressionWrapper(Cast(Round(value, places), FloatField()), output_field=compliance.ReadyFloat())


def _figures(as_of: datetime.date) -> dict:
    """Per indicator its agreed value, actual value, met and shortfall as of `as_of`, judged by the
    database (projects.compliance's SQL twins), as floats rounded the way the JSON prints them."""
    figures = {}
    for indicator in compliance.INDICATORS:
        key = indicator.key
        figures[f"{key}__agreed"] = _float(F(indicator.agreed_field), 4)
        figures[f"{key}__actual"] = compliance.actual_value_sql(indicator, as_of)
        figures[f"{key}__met"] = compliance.indicator_met_sql(indicator, as_of)
        figures[f"{key}__shortfall"] = compliance.shortfall_sql(indicator, as_of)
    return figures


def reviewed_projects(*, as_of: datetime.date, projects: QuerySet[Project] | None = None) -> list[dict]:
    """Section 10: the projects whose agreement is due for checking as of `as_of` — agreed
    indicators, in production by then (the production node's actual date), not terminated — each
    judged as projects.compliance.evaluate judges it. 未达标 first, then 未复核, then 达标; by code within.
    One query; the per-indicator rules run in it (Python over 100,000 projects was most of the time:
    bench/compliance.py), the project's verdict from its indicators' here."""
    queryset = Project.objects.all() if projects is None else projects
    figures = _figures(as_of)
    rows = (
        queryset.filter(agreed_q())
        .exclude(status=Status.TERMINATED)
        .annotate(production=_node(NodeType.PRODUCTION), capacity=_node(NodeType.CAPACITY))
        .filter(production__actual_date__lte=as_of)
        .annotate(
            platform_name=F("platform__name"),
            area=_float(F("land_area"), 2),
            # The dates as the JSON prints them (ISO text, made by the database).
            production_on=IsoDate("production__actual_date"),
            capacity_on=IsoDate(Case(When(capacity__actual_date__lte=as_of, then=F("capacity__actual_date")))),
            reviewed_on=IsoDate(Case(When(capacity_reviewed_on__lte=as_of, then=F("capacity_reviewed_on")))),
            **figures,
        )
        .order_by()
        .values_list("code", "name", "platform_name", "status", "area", "production_on", "capacity_on",
                     "reviewed_on", *figures)
    )
    first = 8  # the indicator columns follow code … reviewed_on, four per indicator
    keys = [(first + 4 * index, indicator.key, indicator.label, indicator.unit)
            for index, indicator in enumerate(compliance.INDICATORS)]
    with cycle_collector_paused():
        items = _shape(rows, keys, first)
    # Sorted here rather than by the database, which would need the verdict in SQL too.
    items.sort(key=lambda item: (VERDICT_ORDER[item["met"]], item["project"]))
    return items


def _shape(rows, keys, first) -> list[dict]:
    """An item per row: section 11's contract keys, and what the page and the files print."""
    labels, verdict = compliance.VERDICT_LABELS, compliance.project_verdict
    items = []
    for row in rows:
        code, name, platform, status, area, production_on, capacity_on, reviewed_on = row[:first]
        indicators, results = {}, []
        for at, key, label, unit in keys:
            if row[at] is not None:
                indicators[key] = {"agreed": row[at], "actual": row[at + 1], "met": row[at + 2],
                                   "shortfall": row[at + 3], "label": label, "unit": unit}
                results.append(row[at + 2])
        met = verdict(results)
        items.append({
            "project": code,
            "name": name,
            "platform": platform or UNSET,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "land_area": area,
            "production_date": production_on,
            "capacity_date": capacity_on,
            "reviewed_on": reviewed_on,
            "met": met,
            "verdict": labels[met],
            "indicators": indicators,
        })
    return items


def mu_ranking(*, as_of: datetime.date) -> list[dict]:
    """Section 10 (亩均论英雄 晾晒): for the projects at capacity by `as_of` with a land area and a
    达产复核 recorded by then, 亩均税收 = Σ yearly tax ÷ Σ land area and 亩均产值 = Σ yearly output ÷
    Σ land area, by platform (each over the projects that recorded that value). Ranked by 亩均税收,
    highest first; equal figures share a rank; `output_rank` ranks 亩均产值 the same way. The sums
    are one GROUP BY: a row per platform comes back, not a row per project."""
    def area_where_recorded(field):
        return Sum(Case(When(**{f"{field}__isnull": False}, then=F("land_area"))))

    rows = (
        Project.objects.filter(status=Status.AT_CAPACITY, land_area__gt=0, capacity_reviewed_on__lte=as_of)
        .annotate(capacity=_node(NodeType.CAPACITY))
        .filter(capacity__actual_date__lte=as_of)
        .values("platform__name")
        .annotate(projects=Count("pk"), area=Sum("land_area"), tax=Sum("actual_yearly_tax"),
                  tax_area=area_where_recorded("actual_yearly_tax"), output=Sum("actual_yearly_output"),
                  output_area=area_where_recorded("actual_yearly_output"))
        .order_by()
    )
    items = [
        {"platform": row["platform__name"] or UNSET, "projects": row["projects"], "land_area": _number(row["area"], 2),
         "yearly_tax": _number(row["tax"] or Decimal(0)), "yearly_output": _number(row["output"] or Decimal(0)),
         "tax_per_mu": _number(row["tax"] / row["tax_area"]) if row["tax_area"] else None,
         "output_per_mu": _number(row["output"] / row["output_area"]) if row["output_area"] else None}
        for row in rows
    ]
    items.sort(key=lambda item: (*highest_first(item["output_per_mu"]), item["platform"]))
    competition_rank(items, key=lambda item: item["output_per_mu"])
    for item in items:
        item["output_rank"] = item.pop("rank")
    items.sort(key=lambda item: (*highest_first(item["tax_per_mu"]), item["platform"]))
    competition_rank(items, key=lambda item: item["tax_per_mu"])
    return items


def compliance_report(*, as_of: datetime.date, projects: QuerySet[Project] | None = None) -> dict:
    """`report_compliance` (DOMAIN.md section 11's contract): as_of, the summary (达标 / 未达标 /
    未复核 counts), each project with its verdict and indicators; beyond the contract, the 亩均
    ranking by platform (city-wide whatever `projects` is: it is the published 晾晒)."""
    items = reviewed_projects(as_of=as_of, projects=projects)
    verdicts = [item["met"] for item in items]
    return {
        "as_of": as_of.isoformat(),
        "summary": {"met": verdicts.count(True), "not_met": verdicts.count(False), "unreviewed": verdicts.count(None)},
        "projects": items,
        "ranking": mu_ranking(as_of=as_of),
    }


def capacity_bulletin(*, as_of: datetime.date, week_start: datetime.date) -> dict:
    """The bulletin's 达产 section: projects that reached capacity this week (start … as_of), the
    标准地 verdicts (summary, the 未达标 and 未复核 projects) and the 亩均 ranking."""
    report = compliance_report(as_of=as_of)
    reached = (
        Node.objects.filter(node_type=NodeType.CAPACITY, actual_date__gte=week_start, actual_date__lte=as_of)
        .order_by("actual_date", "project__code")
        .values_list("project__code", "project__name", "actual_date", "planned_date", "project__platform__name")
    )
    return {
        "reached": [
            {"code": code, "name": name, "actual_date": actual, "planned_date": planned,
             "on_time": planned is None or actual <= planned, "platform": platform or UNSET}
            for code, name, actual, planned, platform in reached
        ],
        "summary": report["summary"],
        "pending": [item for item in report["projects"] if item["met"] is not True],
        "ranking": report["ranking"],
    }
