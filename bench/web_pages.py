"""Benchmark: the pages and API calls people use every day, at two sizes (issue 5: query counts do
not grow with the number of projects; the time should stay interactive).

    .venv/bin/python bench/web_pages.py [--sizes 200 5000] [--repeat 5]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/bench_web (created if missing).
Migrates, empties the project tables, bulk-writes N active projects with their nodes (a share of
them overdue) and a problem on every tenth, then prints, per page, the SQL query count and the
median response time over `--repeat` requests, logged in as the investment center.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_web")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

PAGES = [
    ("dashboard", "/"),
    ("台账 first page", "/projects/"),
    ("台账 red, by overdue", "/projects/?light=red&ordering=-overdue"),
    ("台账 search", "/projects/?q=00042"),
    ("project detail", "/projects/BW00042/"),
    ("problems", "/problems/"),
    ("API list", "/api/projects/"),
    ("API detail", "/api/projects/BW00042/"),
    ("API overdue", "/api/overdue/"),
]


from benchlib import ensure_database  # noqa: E402

def populate(count, today, rng):
    """N signed projects with five nodes each, written in bulk (the point is reading them)."""
    from milestones.models import Node
    from milestones.services import node_unit, refresh_next_due, rules_by_type
    from projects.models import Problem, Project, Status, TransitionLog, Unit

    Problem.objects.all().delete()
    Node.objects.all().delete()
    TransitionLog.objects.all().delete()
    Project.objects.all().delete()
    units = list(Unit.objects.all())
    rules = rules_by_type()
    projects = []
    for index in range(count):
        signed = today - datetime.timedelta(days=rng.randint(30, 600))
        projects.append(Project(
            code=f"BW{index:05d}", name=f"基准项目{index:05d}", investor="基准投资有限公司",
            total_investment=rng.choice([5000, 12000, 150000]), is_manufacturing=True, cluster="高端装备",
            responsible_unit=rng.choice(units), signing_date=signed, last_event_date=signed,
            land_area=50, status=Status.SIGNED,
        ))
    Project.objects.bulk_create(projects, batch_size=2000)
    projects = list(Project.objects.select_related("responsible_unit"))
    nodes = []
    for project in projects:
        for node_type, months in (("sign", 0), ("land", 6), ("start", 9), ("statistics", 10), ("production", 27)):
            planned = project.signing_date + datetime.timedelta(days=30 * months)
            nodes.append(Node(
                project=project, node_type=node_type, planned_date=planned,
                actual_date=project.signing_date if node_type == "sign" else None,
                responsible_unit=node_unit(project, rules.get(node_type)),
            ))
    Node.objects.bulk_create(nodes, batch_size=5000)
    # Bulk inserts bypass milestones.services: the projects' next_due (section 4's date) is set here.
    refresh_next_due()
    Problem.objects.bulk_create([
        Problem(project=project, category="land", description="用地指标未落实", raised_on=today,
                reply_by=today + datetime.timedelta(days=7), assigned_unit=project.responsible_unit)
        for project in projects[::10]
    ])


def measure(client, url, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries), statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if os.environ["DATABASE_URL"].startswith("postgres"):
        ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from projects.models import Role, local_today
    from tests.factories import UserFactory

    setup_test_environment()  # the test client's "testserver" host and captured queries
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    user = UserFactory(username="bench-center", role=Role.CENTER)
    client = Client()
    client.force_login(user)
    rng = random.Random(5)
    results = {}
    for size in args.sizes:
        populate(size, local_today(), rng)
        client.get("/")  # warm caches (templates, the first connection)
        results[size] = {label: measure(client, url, args.repeat) for label, url in PAGES}
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"web pages on {engine}, median of {args.repeat} requests (queries / ms)")
    header = f"{'page':<24}" + "".join(f"{f'{size} projects':>22}" for size in args.sizes)
    print(header)
    for label, _ in PAGES:
        cells = "".join(f"{results[size][label][0]:>10} q {results[size][label][1]:>8.1f} ms" for size in args.sizes)
        print(f"{label:<24}{cells}")
    counts = {label: {results[size][label][0] for size in args.sizes} for label, _ in PAGES}
    growing = [label for label, values in counts.items() if len(values) > 1]
    print("query counts constant in the number of projects:", "yes" if not growing else f"NO: {growing}")
    return 1 if growing else 0


if __name__ == "__main__":
    sys.exit(main())
