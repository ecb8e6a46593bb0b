"""Benchmark report_compliance (DOMAIN.md sections 10 and 11) on PostgreSQL.

    .venv/bin/python bench/compliance.py [--projects 100000] [--reuse]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/bench_compliance (created if missing).
Migrates and fills the database with bulk_create: projects in every state, six nodes each, a third
of them with 标准地 agreed indicators, most of those in production or at capacity with a 达产复核
(met and not met) and the rest waiting. Then prints, first over a tenth of the projects and then
over all of them:

- report_compliance's JSON (compliance_report + json.dumps): best of three wall times and the query
  count; goals: < 2 s at 100,000 projects and the same query count at both sizes;
- the PDF and the Excel file of the same report (one run each).

Exits 1 when a goal is missed.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_compliance")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

from benchlib import ensure_database, fill_in_two_steps  # noqa: E402

AS_OF = datetime.date(2026, 12, 21)
JSON_GOAL_SECONDS = 2.0
STEPS = ["land", "start", "statistics", "production", "capacity"]
STATUS_AFTER = ["signed", "land_acquired", "started", "in_statistics", "in_production", "at_capacity"]
CHUNK = 10_000


def setup_django():
    import django

    django.setup()


def empty_tables():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE milestones_node, projects_problem, projects_instruction, projects_transitionlog, "
            "projects_progressnote, projects_project RESTART IDENTITY CASCADE"
        )


def agreement(rng: random.Random, *, reviewed: bool) -> dict:
    """Agreed indicators for a 50-亩 project, and, when reviewed, values around them (about a
    quarter of the indicators short)."""
    agreed = {"agreed_investment_intensity": Decimal(rng.choice([250, 300, 350])),
              "agreed_tax_per_mu": Decimal(rng.choice([20, 30, 40])),
              "agreed_output_per_mu": Decimal(rng.choice([400, 500, 600])),
              "agreed_plot_ratio": Decimal("1.2"), "agreed_energy_per_output": Decimal("0.08")}
    if not reviewed:
        return agreed

    def around(value):
        return (value * Decimal(rng.uniform(0.9, 1.3))).quantize(Decimal("0.0001"))

    return {**agreed,
            "actual_fixed_investment": around(agreed["agreed_investment_intensity"] * 50),
            "actual_yearly_tax": around(agreed["agreed_tax_per_mu"] * 50),
            "actual_yearly_output": around(agreed["agreed_output_per_mu"] * 50),
            "actual_plot_ratio": around(agreed["agreed_plot_ratio"]),
            "actual_energy_per_output": (Decimal("0.08") * Decimal(rng.uniform(0.8, 1.1))).quantize(Decimal("0.0001")),
            "capacity_reviewed_on": AS_OF - datetime.timedelta(days=rng.randint(1, 300))}


def generate(*, total: int, start_index: int, rng: random.Random):
    from milestones.models import Node
    from milestones.services import refresh_next_due
    from projects.models import Platform, Project, Unit

    units = list(Unit.objects.all())
    platforms = list(Platform.objects.all())
    first_day = datetime.date(2019, 1, 1)
    span = (AS_OF - first_day).days
    for chunk_start in range(start_index, total, CHUNK):
        projects, plans = [], []
        for index in range(chunk_start, min(total, chunk_start + CHUNK)):
            signed = first_day + datetime.timedelta(days=rng.randint(0, span))
            agreed = rng.random() < 1 / 3
            done = rng.choice([3, 4, 4, 5, 5]) if agreed else rng.randint(0, 5)
            actual, day = {}, signed
            for step in STEPS[:done]:
                day = day + datetime.timedelta(days=rng.randint(20, 200))
                if day > AS_OF:
                    break
                actual[step] = day
            status = STATUS_AFTER[len(actual)]
            if rng.random() < 0.03:
                status = "terminated"
            fields = agreement(rng, reviewed=status == "at_capacity" or (status == "in_production"
                                                                           and rng.random() < 0.3)) if agreed else {}
            projects.append(Project(
                code=f"BC{index:06d}", name=f"标准地基准项目{index:06d}", investor="基准测试投资有限公司",
                total_investment=Decimal(rng.choice([12000, 30000, 150000])), currency="CNY", is_manufacturing=True,
                cluster="高端装备", platform=rng.choice(platforms), responsible_unit=rng.choice(units),
                needs_new_land=True, land_area=Decimal(50), signing_date=signed, status=status,
                status_reason="撤资" if status == "terminated" else "", last_event_date=day, **fields,
            ))
            plans.append(actual)
        Project.objects.bulk_create(projects, batch_size=2000)
        nodes = []
        for project, actual in zip(projects, plans):
            nodes.append(Node(project=project, node_type="sign", planned_date=project.signing_date,
                              actual_date=project.signing_date, responsible_unit=project.responsible_unit))
            for step in STEPS:
                planned = actual.get(step) or AS_OF + datetime.timedelta(days=rng.randint(20, 700))
                nodes.append(Node(project=project, node_type=step, planned_date=planned,
                                  actual_date=actual.get(step), responsible_unit=project.responsible_unit))
        Node.objects.bulk_create(nodes, batch_size=5000)
        # Bulk inserts bypass milestones.services: the projects' next_due (section 4's date) is set here.
        refresh_next_due(projects=Project.objects.filter(pk__in=[project.pk for project in projects]))
        print(f"  {min(total, chunk_start + CHUNK):,} projects", flush=True)


def time_report():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.compliance import compliance_report

    compliance_report(as_of=AS_OF)  # warm caches and connections, as a running server would be
    timings = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            report = compliance_report(as_of=AS_OF)
            body = json.dumps(report, ensure_ascii=False)
            timings.append(time.perf_counter() - started)
    return min(timings), len(captured), report, len(body)


def time_files():
    from reports.pdf import compliance_pdf
    from reports.xlsx import compliance_xlsx

    result = {}
    for name, render in (("PDF", compliance_pdf), ("Excel", compliance_xlsx)):
        started = time.perf_counter()
        content = render(as_of=AS_OF)
        result[name] = (time.perf_counter() - started, len(content))
    return result


def describe(label, measured):
    seconds, queries, report, size = measured
    summary = report["summary"]
    print(f"report_compliance JSON over {label}: {seconds * 1000:.0f} ms, {queries} queries; "
          f"{len(report['projects']):,} projects checked (达标 {summary['met']:,}, 未达标 {summary['not_met']:,}, "
          f"未复核 {summary['unreviewed']:,}), {len(report['ranking'])} platforms ranked, {size / 1024:.0f} KiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run with the same size")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from projects.models import Project

    def measure(label):
        measured = time_report()
        describe(label, measured)
        return measured

    small = fill_in_two_steps(projects=args.projects, reuse=args.reuse, empty_tables=empty_tables,
                              generate=generate, measure=measure, rng=random.Random(10))
    measured = time_report()
    describe(f"{Project.objects.count():,} projects", measured)
    seconds, queries = measured[0], measured[1]
    same_queries = small is None or small[1] == queries
    ok = seconds < JSON_GOAL_SECONDS and same_queries
    print(f"goal: JSON < {JSON_GOAL_SECONDS:g} s and the same query count at both sizes "
          f"({small[1] if small else '—'} vs {queries}): {'OK' if ok else 'MISSED'}")
    for name, (file_seconds, size) in time_files().items():
        print(f"report_compliance {name}: {file_seconds:.2f} s, {size / 1024:.0f} KiB")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
