"""Benchmark the overdue list and the weekly alert on PostgreSQL (issue 3).

    .venv/bin/python bench/overdue.py [--projects 100000] [--small 10000] [--overdue-share 0.12]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/bench_overdue (created if missing).
Migrates, empties the project tables, then builds `--small` projects with bulk_create and measures,
then grows to `--projects` and measures again:

- the overdue list: `overdue_rows` (the section 9 JSON, one query; the goal applies to it), the
  `overdue_nodes` model rows with their relations for comparison (model instances cost about
  0.1 ms a row in Python), and PostgreSQL's plan for the query (the partial index, unless the
  overdue nodes are so many that the planner rightly prefers a sequential scan);
- building the weekly alert for every recipient (dry run: every read and every message body, no
  writes), its wall time and query count; the count must be the same at both sizes.
Goals: overdue list < 1 s, weekly alert build < 10 s, query count independent of project count.

Active projects (about 60%) have their first pending node planned in a window around the as-of
date so that about `--overdue-share` of them are overdue (most of those red) and about 1.5%
are due within 14 days; other states have pending nodes too, which the queries must skip.
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_overdue")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

AS_OF = datetime.date(2026, 6, 29)  # a Monday, the first working day of its week
STEPS = ["land", "start", "statistics", "production"]
ACTIVE = ["signed", "land_acquired", "started", "in_statistics"]
STEP_UNIT = {"land": "市自然资源局", "start": "市住建局", "statistics": "市统计局", "production": "市经信局"}
CHUNK = 10_000


from benchlib import ensure_database  # noqa: E402

def reset():
    from django.contrib.auth import get_user_model
    from django.db import connection

    from projects.models import Leader, Profile, Role, Unit

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE notifications_notification, milestones_node, projects_problem, projects_instruction, "
            "projects_transitionlog, projects_progressnote, projects_project RESTART IDENTITY CASCADE"
        )
    User = get_user_model()
    Profile.objects.all().delete()
    Leader.objects.all().delete()
    User.objects.filter(username__startswith="bench").delete()
    # Every unit with one user (inbox + e-mail) and every third with a group robot; 30 leaders,
    # two thirds of them with a login.
    for unit in Unit.objects.all():
        user = User.objects.create(username=f"bench-unit-{unit.pk}", email=f"unit{unit.pk}@example.com")
        Profile.objects.create(user=user, role=Role.CENTER if unit.is_investment_center else Role.UNIT, unit=unit)
        if unit.pk % 3 == 0:
            unit.webhook_url = f"http://127.0.0.1:9/robot/{unit.pk}"
            unit.save(update_fields=["webhook_url"])
    for i in range(30):
        user = None
        if i % 3:
            user = User.objects.create(username=f"bench-leader-{i}", email=f"leader{i}@example.com")
            Profile.objects.create(user=user, role=Role.LEADER)
        Leader.objects.create(name=f"基准领导{i:02d}", user=user)


def generate(*, start: int, stop: int, overdue_share: float, rng: random.Random):
    from milestones.models import Node
    from milestones.services import refresh_next_due
    from projects.models import Leader, Problem, Project, Unit

    units = list(Unit.objects.all())
    by_name = {u.name: u for u in units}
    leaders = list(Leader.objects.all())
    # First pending node of an active project: planned uniformly in [AS_OF - back, AS_OF + ahead],
    # with back chosen so that `overdue_share` of them are overdue.
    ahead = 900
    back = int(round(overdue_share * ahead / (1 - overdue_share)))
    for chunk_start in range(start, stop, CHUNK):
        projects, plans = [], []
        for index in range(chunk_start, min(stop, chunk_start + CHUNK)):
            roll = rng.random()
            if roll < 0.6:
                done = rng.randint(0, 3)
                status = ACTIVE[done]
            elif roll < 0.8:
                done, status = 4, "in_production"
            elif roll < 0.9:
                done, status = 0, "negotiating"
            elif roll < 0.95:
                done, status = rng.randint(0, 3), "suspended"
            else:
                done, status = rng.randint(0, 3), "terminated"
            signed = AS_OF - datetime.timedelta(days=rng.randint(200, 1500))
            projects.append(Project(
                code=f"BO{index:06d}", name=f"基准项目{index:06d}", investor="基准投资有限公司",
                total_investment=Decimal(20000), is_manufacturing=True, cluster="高端装备",
                responsible_unit=rng.choice(units), contact_leader=rng.choice(leaders),
                needs_new_land=True, land_area=Decimal(50),
                signing_date=None if status == "negotiating" else signed, status=status,
                suspended_from="signed" if status == "suspended" else "",
                suspended_on=AS_OF - datetime.timedelta(days=rng.randint(1, 300)) if status == "suspended" else None,
                last_event_date=signed,
            ))
            plans.append((done, status, signed))
        Project.objects.bulk_create(projects, batch_size=2000)
        nodes, problems = [], []
        for project, (done, status, signed) in zip(projects, plans):
            nodes.append(Node(project=project, node_type="sign", planned_date=signed,
                              actual_date=None if status == "negotiating" else signed,
                              responsible_unit=project.responsible_unit))
            day = signed
            planned = AS_OF + datetime.timedelta(days=rng.randint(-back, ahead))
            for i, step in enumerate(STEPS):
                if i < done:
                    day = day + datetime.timedelta(days=rng.randint(30, 90))
                    nodes.append(Node(project=project, node_type=step, planned_date=day, actual_date=day,
                                      responsible_unit=by_name[STEP_UNIT[step]]))
                else:
                    nodes.append(Node(project=project, node_type=step, planned_date=planned,
                                      responsible_unit=by_name[STEP_UNIT[step]]))
                    planned += datetime.timedelta(days=rng.randint(30, 540))
            if status in ACTIVE and rng.random() < 0.02:
                raised = AS_OF - datetime.timedelta(days=rng.randint(1, 60))
                problems.append(Problem(
                    project=project, category="land", description="用地指标待协调", raised_on=raised,
                    assigned_unit=project.responsible_unit, reply_by=raised + datetime.timedelta(days=7),
                ))
        Node.objects.bulk_create(nodes, batch_size=5000)
        # Bulk inserts bypass milestones.services: the projects' next_due (section 4's date) is set here.
        refresh_next_due(projects=Project.objects.filter(pk__in=[project.pk for project in projects]))
        Problem.objects.bulk_create(problems, batch_size=2000)
        print(f"  {min(stop, chunk_start + CHUNK):,} projects", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE milestones_node; ANALYZE projects_project; ANALYZE projects_problem")


def best_of(runs, fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm: connection, calendar cache, as a running worker would be
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = fn()
            timings.append(time.perf_counter() - started)
    return min(timings), len(captured), result


def measure(label):
    from django.db import connection

    from milestones.selectors import overdue_nodes, overdue_rows
    from notifications.services import weekly_alert
    from projects.models import Project

    projects = Project.objects.count()
    rows_s, rows_q, rows = best_of(3, lambda: overdue_rows(as_of=AS_OF))
    nodes_s, nodes_q, nodes = best_of(3, lambda: [(n.project.code, n.responsible_unit.name)
                                                  for n in overdue_nodes(as_of=AS_OF)])
    alert_s, alert_q, summary = best_of(2, lambda: weekly_alert(as_of=AS_OF, dry_run=True))
    sql, params = overdue_nodes(as_of=AS_OF).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = [line for (line,) in cursor.fetchall()]
    uses_index = any("node_pending_planned" in line for line in plan)
    red = sum(r["light"] == "red" for r in rows)
    print(f"\n== {label}: {projects:,} projects, {len(rows):,} overdue nodes ({red:,} red), "
          f"{summary['due_soon_nodes']:,} due soon, {summary['problems']:,} problems")
    print(f"overdue_rows (section 9 JSON):     {rows_s * 1000:8.1f} ms  {rows_q} query")
    print(f"overdue_nodes (models + relations): {nodes_s * 1000:7.1f} ms  {nodes_q} query")
    print(f"plan uses node_pending_planned:     {uses_index}")
    print(f"weekly alert build (dry run):       {alert_s * 1000:8.1f} ms  {alert_q} queries, "
          f"{summary['notifications']} messages to {summary['recipients']} recipients")
    return {"projects": projects, "overdue": len(rows), "overdue_rows_s": rows_s, "overdue_nodes_s": nodes_s,
            "alert_s": alert_s, "alert_queries": alert_q, "index": uses_index}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--overdue-share", type=float, default=0.12)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    reset()
    generate(start=0, stop=args.small, overdue_share=args.overdue_share, rng=rng)
    small = measure(f"{args.small:,}")
    generate(start=args.small, stop=args.projects, overdue_share=args.overdue_share, rng=rng)
    large = measure(f"{args.projects:,}")
    print(f"\n(data built in {time.perf_counter() - started:.0f} s)")
    verdict = {
        "overdue list < 1 s": large["overdue_rows_s"] < 1,
        "weekly alert build < 10 s": large["alert_s"] < 10,
        "weekly alert query count independent of projects": small["alert_queries"] == large["alert_queries"],
    }
    print(json.dumps(verdict, ensure_ascii=False, indent=2))
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
