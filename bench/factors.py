"""Benchmark report_factors (DOMAIN.md section 11) on PostgreSQL.

    .venv/bin/python bench/factors.py [--projects 100000] [--reuse] [--figures-json]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/bench_factors (created if missing). Migrates,
fills the database with bulk_create (projects in every state, their nodes, a need of each type on
most projects, secured amounts with their records; some needs overdue, some at risk, some with a date
set by hand), then prints report_factors' JSON wall time and query count, first over a tenth of the
projects and then over all of them, beside its floor (one hand-written SQL returning the same rows,
best of five; target ≤ 2× the floor and 2 queries whatever the size), and the PDF and workbook
(one run each: CPU time, target < 10 s; wall time beside it), as figure, value, floor, ratio, target, pass/fail
(--figures-json: as JSON, for bench/run.py). Also times the page's query (the first 20 needs, most
urgent first) and the daily open_overdue_problems scan when there is nothing new to open.
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_factors")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

from benchlib import best_of, ensure_database, fill_in_two_steps, print_table, sql_rows, timed  # noqa: E402

AS_OF = datetime.date(2026, 6, 30)
STATUSES = ["signed", "land_acquired", "started", "in_statistics", "in_production", "suspended", "terminated"]
WEIGHTS = [20, 15, 20, 15, 20, 5, 5]
CHUNK = 10_000
FLOOR_QUERIES = 2  # the report's queries whatever the number of projects (not a floor: a count to keep)


def setup_django():
    import django

    django.setup()


def empty_tables():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE milestones_factorsecured, milestones_factorneed, milestones_node, projects_problem, "
            "projects_instruction, projects_transitionlog, projects_progressnote, projects_project "
            "RESTART IDENTITY CASCADE"
        )


def day(offset):
    return AS_OF + datetime.timedelta(days=offset)


def generate(*, total: int, start_index: int, rng: random.Random):
    from milestones.models import FactorNeed, FactorSecured, Node
    from milestones.services import refresh_next_due
    from projects.models import Project, Unit

    units = list(Unit.objects.all())
    rules = {"land": "市自然资源局", "energy": "市发改局", "funds": "市财政局"}
    unit_by_name = {u.name: u for u in units}

    for chunk_start in range(start_index, total, CHUNK):
        projects = []
        for index in range(chunk_start, min(total, chunk_start + CHUNK)):
            status = rng.choices(STATUSES, WEIGHTS)[0]
            needs_land = rng.random() < 0.8
            projects.append(Project(
                code=f"BF{index:06d}", name=f"要素基准项目{index:06d}", investor="基准测试投资有限公司",
                total_investment=Decimal(20000), is_manufacturing=True, cluster="高端装备",
                responsible_unit=rng.choice(units), needs_new_land=needs_land,
                land_area=Decimal(50) if needs_land else None, signing_date=day(-rng.randint(30, 900)),
                status=status, last_event_date=day(-10),
            ))
        Project.objects.bulk_create(projects, batch_size=2000)
        nodes, needs = [], []
        for project in projects:
            for node_type in ("sign", "land", "start", "statistics", "production"):
                if node_type == "land" and not project.needs_new_land:
                    continue
                # Mostly in the future; a few planned dates already past, a few within 30 days.
                roll = rng.random()
                offset = rng.randint(-200, -1) if roll < 0.05 else rng.randint(0, 30) if roll < 0.12 else \
                    rng.randint(31, 900)
                nodes.append(Node(project=project, node_type=node_type, planned_date=day(offset),
                                  actual_date=project.signing_date if node_type == "sign" else None,
                                  responsible_unit=project.responsible_unit))
            for factor_type in ("land", "energy", "funds"):
                if rng.random() < 0.3:
                    continue
                needed = Decimal(rng.choice([20, 80, 150, 3000, 12000, 50000]))
                secured = needed if rng.random() < 0.35 else (needed * Decimal(rng.randint(0, 90)) / 100).quantize(
                    Decimal("0.0001"))
                needs.append(FactorNeed(
                    project=project, factor_type=factor_type, needed=needed, secured=secured,
                    needed_by_set=day(rng.randint(-60, 120)) if rng.random() < 0.1 else None,
                    responsible_unit=unit_by_name[rules[factor_type]],
                ))
        Node.objects.bulk_create(nodes, batch_size=5000)
        # Bulk inserts bypass milestones.services: the projects' next_due (section 4's date) is set here.
        refresh_next_due(projects=Project.objects.filter(pk__in=[project.pk for project in projects]))
        FactorNeed.objects.bulk_create(needs, batch_size=5000)
        FactorSecured.objects.bulk_create(
            [FactorSecured(need=need, amount=need.secured, secured_on=day(-rng.randint(1, 300)), document="基准文件")
             for need in needs if need.secured], batch_size=5000)
        print(f"  {min(total, chunk_start + CHUNK):,} projects", flush=True)


# --- the floor: one hand-written SQL returning the report's rows ---------------------------------------
# The 预警 and 逾期未保障 needs of active projects (needed-by set by hand, else the followed node's
# planned date), most urgent first, with what each item shows, then the totals per type: everything
# the JSON holds, fetched into Python.
FLOOR_SQL = """
    WITH needs AS (
        SELECT f.factor_type, f.needed, f.secured, p.code, p.name, u.name AS unit,
               coalesce(f.needed_by_set, CASE WHEN f.factor_type = 'land' AND p.needs_new_land THEN land.planned_date
                                               WHEN f.factor_type = 'energy' THEN production.planned_date
                                               ELSE start.planned_date END) AS needed_by,
               greatest(f.needed - f.secured, 0) AS gap
        FROM milestones_factorneed f
        JOIN projects_project p ON p.id = f.project_id
        LEFT JOIN milestones_node land ON land.project_id = p.id AND land.node_type = 'land'
        LEFT JOIN milestones_node start ON start.project_id = p.id AND start.node_type = 'start'
        LEFT JOIN milestones_node production ON production.project_id = p.id AND production.node_type = 'production'
        LEFT JOIN projects_unit u ON u.id = f.responsible_unit_id
        WHERE p.status IN ('signed', 'land_acquired', 'started', 'in_statistics')
    )
    SELECT * FROM (
        SELECT 0 AS part, code, factor_type, needed::float8, secured::float8, gap::float8, needed_by, name,
               %(as_of)s::date - needed_by AS days, unit
        FROM needs WHERE gap > 0 AND needed_by <= %(as_of)s::date + 30
        UNION ALL
        SELECT 1, NULL, factor_type, sum(needed)::float8, sum(secured)::float8, sum(gap)::float8, NULL, NULL, NULL, NULL
        FROM needs GROUP BY factor_type
    ) rows
    ORDER BY part, needed_by, gap DESC, code, array_position(ARRAY['land', 'energy', 'funds']::varchar[], factor_type)"""


def time_report():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from milestones.factor_selectors import report_factors

    report_factors(as_of=AS_OF)  # warm caches and connections, as a running server would be
    timings = []
    for _ in range(5):  # best of five: the machine is shared
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            report = report_factors(as_of=AS_OF)
            body = json.dumps(report, ensure_ascii=False)
            timings.append(time.perf_counter() - started)
    return min(timings), len(captured), report, len(body)


def time_call(fn):
    fn()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def figures(small=None) -> list[dict]:
    """report_factors' figures over the database as it is; `small` is the JSON measurement over a
    tenth of the projects, when the data was just generated (the query count must not change)."""
    from projects.models import Project
    from reports.factors import factors_pdf
    from reports.xlsx import factors_xlsx

    seconds, queries, report, size = time_report()
    floor, rows = best_of(lambda: sql_rows(FLOOR_SQL, {"as_of": AS_OF}), runs=5)
    needs = len(report["overdue"]) + len(report["at_risk"])
    same_queries = queries == FLOOR_QUERIES and (small is None or small[1] == queries)
    result = [{
        "figure": f"report_factors JSON over {Project.objects.count():,} projects: {len(report['overdue']):,} overdue and "
                  f"{len(report['at_risk']):,} at-risk needs, {size / 1024:,.0f} KiB, {queries} queries"
                  + (f" ({small[1]} at a tenth)" if small else ""),
        "value": seconds, "floor": floor, "target": "≤ 2× floor, same queries",
        "passed": seconds <= 2 * floor and same_queries, "unit": "s",
        "check": sum(1 for row in rows if row[0] == 0) == needs,
    }]
    for name, render_file in (("PDF", factors_pdf), ("Excel", factors_xlsx)):
        wall, cpu, content = timed(lambda: render_file(as_of=AS_OF))
        pages = f", {content.count(b'/Type /Page' + bytes([10])):,} pages" if name == "PDF" else ""
        result.append({"figure": f"report_factors {name}, {needs:,} need rows{pages} (wall {wall:.1f} s)", "value": cpu,
                       "floor": None, "target": "< 10 s CPU", "passed": cpu < 10, "unit": "s", "wall": wall})
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run with the same size")
    parser.add_argument("--figures-json", action="store_true", help="print the figures as JSON (bench/run.py)")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from milestones.factor_selectors import urgent_needs
    from milestones.factor_services import open_overdue_problems

    def measure(label):
        measured = time_report()
        print(f"report_factors JSON over {label}: {measured[0] * 1000:.0f} ms, {measured[1]} queries", flush=True)
        return measured

    small = fill_in_two_steps(projects=args.projects, reuse=args.reuse, empty_tables=empty_tables,
                              generate=generate, measure=measure, rng=random.Random(11))
    measured = figures(small)
    if args.figures_json:
        print(json.dumps(measured, ensure_ascii=False))
        return
    print_table(measured)
    page, _ = time_call(lambda: list(urgent_needs(as_of=AS_OF)[:20]))
    print(f"the page's first 20 urgent needs: {page * 1000:.0f} ms")
    open_overdue_problems(as_of=AS_OF)  # open them once; the timed run below finds nothing new
    scan, opened = time_call(lambda: open_overdue_problems(as_of=AS_OF))
    print(f"daily open_overdue_problems with nothing new to open: {scan * 1000:.0f} ms ({len(opened)} opened)")
    if not all(figure["passed"] for figure in measured):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
