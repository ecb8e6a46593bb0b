"""Benchmark the reports on PostgreSQL (issue 4).

    .venv/bin/python bench/reports.py [--projects 100000] [--overdue 2000] [--reuse]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/bench_reports (created if missing).
Migrates, fills the database with bulk_create (projects in every state over 2021–2026, their nodes,
exactly --overdue overdue nodes, problems, suspended projects), then prints:

- the 1330 JSON (progress_1330 + json.dumps) for 2026: wall time and query count, first with a
  tenth of the projects and then with all of them (the query count must not change); goal < 1 s;
- the weekly bulletin PDF with the overdue rows, measured in a fresh child process so its peak RSS
  (VmHWM) is the report's and not the data generator's; goal < 10 s and < 300 MB.
"""

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_reports")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

YEAR = 2026
AS_OF = datetime.date(2026, 12, 21)  # a Monday
CLUSTERS = ["新能源汽车及零部件", "智能家居", "高端装备", "现代纺织", "高端新材料", "生物医药与健康",
            "空天信息", "合成生物", "未来医疗", "氢能与新型储能", "其他"]
CHANNELS = ["亲情招商", "基金招商", "产业链招商", "以商引商", "其他"]
STEPS = ["land", "start", "statistics", "production"]
STATUS_AFTER = {0: "signed", 1: "land_acquired", 2: "started", 3: "in_statistics", 4: "in_production"}
CHUNK = 10_000


from benchlib import ensure_database  # noqa: E402

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


def generate(*, total: int, start_index: int, overdue_left: list[int], rng: random.Random):
    """Create projects [start_index, total) with their nodes. Pending nodes are planned after the
    as-of date, except the first pending node of `overdue_left[0]` randomly chosen active projects."""
    from milestones.models import Node
    from milestones.services import refresh_next_due
    from projects.models import Leader, Platform, Project, Unit

    units = list(Unit.objects.all())
    platforms = list(Platform.objects.all())
    leaders = list(Leader.objects.all())
    first_day = datetime.date(2021, 1, 1)
    span = (AS_OF - first_day).days
    active_left = (total - start_index) * 0.6
    for chunk_start in range(start_index, total, CHUNK):
        projects, plans = [], []
        for index in range(chunk_start, min(total, chunk_start + CHUNK)):
            needs_land = rng.random() < 0.8
            steps = [s for s in STEPS if s != "land" or needs_land]
            signed = first_day + datetime.timedelta(days=rng.randint(0, span))
            done = rng.randint(0, len(steps))
            actual, day = {}, signed
            for step in steps[:done]:
                day = day + datetime.timedelta(days=rng.randint(10, 120))
                if day > AS_OF:
                    break
                actual[step] = day
            day = max([signed, *actual.values()])
            roll = rng.random()
            if roll < 0.03:
                status = "terminated"
            elif roll < 0.031:
                status = "suspended"
            else:
                status = STATUS_AFTER[len([s for s in actual if s != "land"]) + (1 if "land" in actual else 0)]
                if not needs_land and status == "land_acquired":
                    status = "signed"
            if status == "in_production" and "production" not in actual:
                status = "in_statistics"
            currency = "USD" if rng.random() < 0.1 else "CNY"
            amount = Decimal(rng.choice([800, 3000, 9999, 10000, 12000, 50000, 100000, 150000]))
            if currency == "USD":
                amount = amount / 10
            projects.append(Project(
                code=f"BR{index:06d}", name=f"基准测试项目{index:06d}", investor="基准测试投资有限公司",
                total_investment=amount, currency=currency, is_manufacturing=rng.random() < 0.85,
                cluster=rng.choice(CLUSTERS), source=rng.choice(["外引", "内生"]), channel=rng.choice(CHANNELS),
                platform=rng.choice(platforms), responsible_unit=rng.choice(units),
                contact_leader=rng.choice(leaders), needs_new_land=needs_land,
                land_area=Decimal(50) if needs_land else None, signing_date=signed, status=status,
                suspended_from="signed" if status == "suspended" else "",
                suspended_on=signed + datetime.timedelta(days=5) if status == "suspended" else None,
                status_reason="资金未到位" if status in ("suspended", "terminated") else "",
                last_event_date=day,
            ))
            plans.append((steps, actual, status))
        Project.objects.bulk_create(projects, batch_size=2000)
        nodes = []
        for project, (steps, actual, status) in zip(projects, plans):
            nodes.append(Node(project=project, node_type="sign", planned_date=project.signing_date,
                              actual_date=project.signing_date, responsible_unit=project.responsible_unit))
            make_overdue = (status in ("signed", "land_acquired", "started", "in_statistics")
                            and overdue_left[0] > 0 and rng.random() < overdue_left[0] / max(active_left, 1))
            if status in ("signed", "land_acquired", "started", "in_statistics"):
                active_left -= 1
            first_pending = True
            for step in steps:
                if step in actual:
                    planned = actual[step]
                elif first_pending and make_overdue:
                    planned = AS_OF - datetime.timedelta(days=rng.randint(1, 400))
                    overdue_left[0] -= 1
                    first_pending = False
                else:
                    planned = AS_OF + datetime.timedelta(days=rng.randint(20, 700))
                    first_pending = False
                nodes.append(Node(project=project, node_type=step, planned_date=planned, actual_date=actual.get(step),
                                  responsible_unit=project.responsible_unit))
        Node.objects.bulk_create(nodes, batch_size=5000)
        # Bulk inserts bypass milestones.services: the projects' next_due (section 4's date) is set here.
        refresh_next_due(projects=Project.objects.filter(pk__in=[project.pk for project in projects]))
        print(f"  {min(total, chunk_start + CHUNK):,} projects", flush=True)


def add_problems(rng):
    from projects.models import Problem, Project

    projects = list(Project.objects.filter(status="signed").order_by("?")[:400])
    problems = []
    for project in projects:
        raised = AS_OF - datetime.timedelta(days=rng.randint(1, 200))
        replied = raised + datetime.timedelta(days=rng.randint(1, 15)) if rng.random() < 0.6 else None
        if replied and replied > AS_OF:
            replied = None
        problems.append(Problem(
            project=project, category=rng.choice(["land", "energy", "funding", "approval", "other"]),
            description="用地指标、能耗指标待协调解决", raised_on=raised, assigned_unit=project.responsible_unit,
            reply_by=raised + datetime.timedelta(days=7), status="replied" if replied else "open", replied_on=replied,
        ))
    Problem.objects.bulk_create(problems)


def time_1330():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import progress_1330

    progress_1330(year=YEAR, as_of=AS_OF)  # warm caches and connections, as a running server would be
    timings = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            report = progress_1330(year=YEAR, as_of=AS_OF)
            body = json.dumps(report, ensure_ascii=False)
            timings.append(time.perf_counter() - started)
    return min(timings), len(captured), report, len(body)


def peak_rss_mb() -> float:
    """This process's peak resident set. getrusage's ru_maxrss survives execve on Linux, so in a
    child of the data generator it would report the generator's peak; /proc's VmHWM does not."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_bulletin_child():
    """Runs in a fresh process: render the bulletin PDF cold, print its time and the process's peak
    RSS (tracemalloc is left out: it slows reportlab's many small allocations about tenfold)."""
    setup_django()
    from milestones.selectors import overdue_nodes
    from reports.bulletin import bulletin_pdf

    overdue = overdue_nodes(as_of=AS_OF).count()
    rss_before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    content = bulletin_pdf(as_of=AS_OF)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_peak = peak_rss_mb()
    print(json.dumps({"overdue": overdue, "seconds": round(elapsed, 2), "cpu": round(cpu, 2),
                      "rss_peak_mb": round(rss_peak, 1),
                      "rss_before_mb": round(rss_before, 1), "bytes": len(content),
                      "pages": content.count(b"/Type /Page\n")}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=2000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run with the same size")
    parser.add_argument("--child-bulletin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_bulletin:
        measure_bulletin_child()
        return
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.core.management import call_command

    from projects.models import Leader, Project

    call_command("migrate", verbosity=0, skip_checks=True)
    for name in ("市长", "常务副市长", "副市长（分管工业）", "副市长（分管城建）"):
        Leader.objects.get_or_create(name=name)
    rng = random.Random(4)
    if not (args.reuse and Project.objects.count() == args.projects):
        empty_tables()
        tenth = args.projects // 10
        overdue_left = [args.overdue // 10]
        started = time.perf_counter()
        print(f"generating {tenth:,} projects …", flush=True)
        generate(total=tenth, start_index=0, overdue_left=overdue_left, rng=rng)
        small = time_1330()
        print(f"1330 JSON over {tenth:,} projects: {small[0] * 1000:.0f} ms, {small[1]} queries, "
              f"{small[2]['counts']['100m']:,} counted ≥1亿")
        overdue_left[0] += args.overdue - args.overdue // 10
        print(f"generating up to {args.projects:,} projects …", flush=True)
        generate(total=args.projects, start_index=tenth, overdue_left=overdue_left, rng=rng)
        add_problems(rng)
        print(f"data generated in {time.perf_counter() - started:.0f} s")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        small = None
    seconds, queries, report, size = time_1330()
    ok = seconds < 1 and (small is None or small[1] == queries)
    print(f"1330 JSON over {Project.objects.count():,} projects: {seconds * 1000:.0f} ms, {queries} queries, "
          f"{report['counts']['100m']:,} counted ≥1亿 and {report['counts']['1b']:,} ≥10亿, {size / 1024:.0f} KiB JSON"
          f" — goal < 1 s, queries independent of project count: {'OK' if ok else 'MISSED'}")
    child = subprocess.run([sys.executable, __file__, "--child-bulletin"], capture_output=True, text=True,
                           env=os.environ.copy())
    if child.returncode:
        print(child.stderr)
        raise SystemExit(1)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    ok = result["seconds"] < 10 and result["rss_peak_mb"] < 300
    print(f"weekly bulletin PDF with {result['overdue']:,} overdue rows: {result['seconds']} s (CPU {result['cpu']} s), "
          f"{result['pages']} pages, "
          f"{result['bytes'] / 1024:.0f} KiB; peak RSS of the rendering process {result['rss_peak_mb']} MB "
          f"({result['rss_before_mb']} MB after Django setup) — goal < 10 s and < 300 MB: {'OK' if ok else 'MISSED'}")

if __name__ == "__main__":
    main()
