"""The 标准地 compliance report and the 亩均 ranking (DOMAIN.md sections 10 and 11).

The rules themselves (per-亩 figures, met, shortfall, verdict) are projects.compliance; this module
picks the projects as of a date and shapes the JSON of section 11's `report_compliance` contract.
Two queries whatever the number of projects.
"""

import datetime
from decimal import Decimal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from milestones.models import Node, NodeType
from projects import compliance
from projects.models import Project, Status

from .selectors import UNSET, competition_rank, highest_first

VERDICT_ORDER = {False: 0, None: 1, True: 2}  # 未达标 first: what the 晾晒 is for


def _number(value: Decimal | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def _node_actual(node_type: str) -> Subquery:
    return Subquery(
        Node.objects.filter(project=OuterRef("pk"), node_type=node_type).values("actual_date")[:1]
    )


def agreed_q() -> Q:
    """Projects with at least one 标准地 agreed indicator."""
    q = Q(pk__in=[])
    for name in compliance.AGREED_FIELDS:
        q |= Q(**{f"{name}__isnull": False})
    return q


VALUE_FIELDS = ("land_area", *compliance.AGREED_FIELDS, *compliance.ACTUAL_FIELDS, "capacity_reviewed_on")


def reviewed_projects(*, as_of: datetime.date, projects: QuerySet[Project] | None = None) -> list[dict]:
    """Section 10: the projects whose agreement is due for checking as of `as_of` — agreed
    indicators, in production by then (the production node's actual date), not terminated — each
    judged by projects.compliance.evaluate. 未达标 first, then 未复核, then 达标; by code within."""
    queryset = Project.objects.all() if projects is None else projects
    rows = (
        queryset.filter(agreed_q())
        .exclude(status=Status.TERMINATED)
        .annotate(production_on=_node_actual(NodeType.PRODUCTION), capacity_on=_node_actual(NodeType.CAPACITY),
                  platform_name=F("platform__name"))
        .filter(production_on__lte=as_of)
        .order_by()
        .values("code", "name", "status", "platform_name", "production_on", "capacity_on", *VALUE_FIELDS)
    )
    items = []
    for row in rows:
        check = compliance.evaluate(row, as_of=as_of)
        reached = row["capacity_on"] if row["capacity_on"] and row["capacity_on"] <= as_of else None
        reviewed = row["capacity_reviewed_on"]
        items.append({
            "project": row["code"],
            "name": row["name"],
            "platform": row["platform_name"] or UNSET,
            "status": row["status"],
            "status_label": Status(row["status"]).label,
            "land_area": _number(row["land_area"], 2),
            "production_date": row["production_on"].isoformat(),
            "capacity_date": reached.isoformat() if reached else None,
            "reviewed_on": reviewed.isoformat() if reviewed and reviewed <= as_of else None,
            "met": check["met"],
            "verdict": check["verdict"],
            "indicators": {
                key: {"agreed": _number(item["agreed"]), "actual": _number(item["actual"]), "met": item["met"],
                      "shortfall": _number(item["shortfall"]), "label": item["label"], "unit": item["unit"]}
                for key, item in check["indicators"].items()
            },
        })
    items.sort(key=lambda item: (VERDICT_ORDER[item["met"]], item["project"]))
    return items


def mu_ranking(*, as_of: datetime.date) -> list[dict]:
    """Section 10 (亩均论英雄 晾晒): for the projects at capacity by `as_of` with a land area and a
    达产复核 recorded by then, 亩均税收 = Σ yearly tax ÷ Σ land area and 亩均产值 = Σ yearly output ÷
    Σ land area, by platform (each over the projects that recorded that value). Ranked by 亩均税收,
    highest first; equal figures share a rank; `output_rank` ranks 亩均产值 the same way."""
    rows = (
        Project.objects.filter(status=Status.AT_CAPACITY, land_area__gt=0, capacity_reviewed_on__lte=as_of)
        .annotate(capacity_on=_node_actual(NodeType.CAPACITY), platform_name=F("platform__name"))
        .filter(capacity_on__lte=as_of)
        .order_by()
        .values_list("platform_name", "land_area", "actual_yearly_tax", "actual_yearly_output")
    )
    sums: dict[str, dict] = {}
    for platform, area, tax, output in rows:
        entry = sums.setdefault(platform or UNSET, {"projects": 0, "land_area": Decimal(0), "tax": Decimal(0),
                                                    "tax_area": Decimal(0), "output": Decimal(0),
                                                    "output_area": Decimal(0)})
        entry["projects"] += 1
        entry["land_area"] += area
        if tax is not None:
            entry["tax"] += tax
            entry["tax_area"] += area
        if output is not None:
            entry["output"] += output
            entry["output_area"] += area
    items = [
        {"platform": platform, "projects": entry["projects"], "land_area": _number(entry["land_area"], 2),
         "yearly_tax": _number(entry["tax"]), "yearly_output": _number(entry["output"]),
         "tax_per_mu": _number(entry["tax"] / entry["tax_area"]) if entry["tax_area"] else None,
         "output_per_mu": _number(entry["output"] / entry["output_area"]) if entry["output_area"] else None}
        for platform, entry in sums.items()
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
    return {
        "as_of": as_of.isoformat(),
        "summary": {
            "met": sum(1 for item in items if item["met"] is True),
            "not_met": sum(1 for item in items if item["met"] is False),
            "unreviewed": sum(1 for item in items if item["met"] is None),
        },
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
