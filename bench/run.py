"""Issue 12's figures in one run, each beside its floor (`make bench` runs this).

    .venv/bin/python bench/run.py [--n 100000] [--reuse] [--users 10] [--seconds 20] [--no-http] [--no-bulletin] [--no-import]
        [--json var/bench.json]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/bench_run (created if missing). Fills it
with --n projects in the proportions of bench/reports.py (every state over 2021–2026, 7.6% with an
overdue node, problems, suspended projects), then measures in the same run:

- each figure the product computes, and its floor: one hand-written SQL returning the same rows or
  numbers (the least any implementation must spend to read them);
- the lights where people meet them: light counts (center, a unit's own scope), the 台账 red
  filter pages and both dashboards, in this process with today frozen at the data's as-of date;
- report_compliance and report_factors (issue 11): JSON beside its floor, PDF and workbook, each by
  bench/compliance.py and bench/factors.py on their own databases (this one's name + _compliance,
  _factors; filled with --n projects too, or reused with --reuse);
- the ledger import (bench/import_ledger.py, on a database of its own): three runs of a
  10,000-row ledger beside the floor of reading the sheet and COPYing its rows;
- the weekly bulletin PDF in a fresh process (time, CPU time and peak RSS);
- an HTTP load: gunicorn (4 workers) on 127.0.0.1 only, a closed loop of --users logged-in users
  (center, unit, leader in turn) over dashboard, 台账 (page 1, red filter, a far page), detail,
  API list and the 1330 API, with a small asyncio client (bounded by --users).

Prints one table — figure, value, floor, ratio, target, pass/fail — and saves it as JSON.
Timings are the best of 3 (after a warm-up run); on a shared, loaded machine they are upper bounds.
"""

import argparse
import asyncio
import datetime
import importlib.util
import json
import os
import random
import socket
import statistics
from collections import Counter
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_run")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

from benchlib import best_of, ensure_database, print_table, sql_rows  # noqa: E402


def load_data_generator():
    """bench/reports.py's generator (its module name would shadow the reports app if imported)."""
    spec = importlib.util.spec_from_file_location("bench_reports_data", Path(__file__).with_name("reports.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DATA = load_data_generator()
AS_OF, YEAR = DATA.AS_OF, DATA.YEAR
OVERDUE_SHARE = 7592 / 100_000  # issue 12's data: overdue nodes per project


# --- figures and floors --------------------------------------------------------------------------

# Section 4's active states; an in-production project is active for its 达产 node only (section 10).
ACTIVE = ("signed", "land_acquired", "started", "in_statistics")


def overdue_figure() -> dict:
    from milestones.selectors import overdue_rows
    from web.renderers import render_json  # the API's encoding of its answer

    value, rows = best_of(lambda: render_json(overdue_rows(as_of=AS_OF)))
    floor_sql = """
        SELECT p.code, n.node_type, n.planned_date, %s::date - n.planned_date AS days,
               CASE WHEN n.planned_date < %s::date - 30 THEN 'red' ELSE 'yellow' END, u.name, l.name
        FROM milestones_node n JOIN projects_project p ON p.id = n.project_id
        LEFT JOIN projects_unit u ON u.id = n.responsible_unit_id
        LEFT JOIN projects_leader l ON l.id = p.contact_leader_id
        WHERE n.actual_date IS NULL AND n.planned_date < %s
          AND (p.status = ANY(%s) OR (p.status = 'in_production' AND n.node_type = 'capacity'))
        ORDER BY n.planned_date, p.code"""
    floor, floor_rows = best_of(lambda: sql_rows(floor_sql, [AS_OF, AS_OF, AS_OF, list(ACTIVE)]))
    return {"figure": f"overdue list JSON, {len(floor_rows):,} rows", "value": value, "floor": floor,
            "target": "≤ 1.5× floor", "passed": value <= 1.5 * floor, "unit": "s",
            "check": len(json.loads(rows)) == len(floor_rows)}


def thresholds_sql() -> dict[str, str]:
    """The ≥1亿 and ≥10亿 tests of DOMAIN.md section 5 as SQL, from the admin-editable thresholds
    (numbers and currency codes only, so written into the SQL as literals)."""
    from reports.selectors import load_thresholds

    parts = {}
    for level, by_currency in load_thresholds().items():
        tests = [f"(currency = '{currency}' AND total_investment >= {amount})"
                 for currency, amount in by_currency.items() if currency.isalpha()]
        parts[level] = "(" + (" OR ".join(tests) or "false") + ")"
    return parts


def counts_1330_floor() -> tuple[float, object]:
    levels = thresholds_sql()
    query = f"""
        SELECT count(*) FILTER (WHERE {levels['100m']}), count(*) FILTER (WHERE {levels['1b']}),
               array_agg(to_char(signing_date, 'YYYY-MM')) FILTER (WHERE {levels['100m']})
        FROM projects_project
        WHERE is_manufacturing AND status <> 'terminated' AND signing_date BETWEEN %s AND %s"""
    window = [datetime.date(YEAR, 1, 1), min(AS_OF, datetime.date(YEAR, 12, 31))]
    return best_of(lambda: sql_rows(query, window))


def report_1330_figures() -> list[dict]:
    from reports.selectors import progress_1330, progress_1330_counts
    from web.renderers import render_json  # the API's encoding of its answer

    full, report = best_of(lambda: render_json(progress_1330(year=YEAR, as_of=AS_OF, with_rows=False)))
    counts, _ = best_of(lambda: progress_1330_counts(year=YEAR, as_of=AS_OF))
    levels = thresholds_sql()
    # The nodes' dates as the JSON's text: decoding it into dicts (psycopg does, for a json column) took
    # a third of this floor's time, which the report itself does not spend (it reads a text too).
    rows_sql = f"""
        SELECT p.code, p.signing_date, p.cluster, p.source, p.channel, pl.name, {levels['100m']}, {levels['1b']},
               (SELECT json_object_agg(n.node_type, n.actual_date)::text FROM milestones_node n
                WHERE n.project_id = p.id AND n.actual_date IS NOT NULL)
        FROM projects_project p LEFT JOIN projects_platform pl ON pl.id = p.platform_id
        WHERE p.is_manufacturing AND p.status <> 'terminated' AND p.signing_date BETWEEN %s AND %s
          AND ({levels['100m']} OR {levels['1b']})"""
    window = [datetime.date(YEAR, 1, 1), min(AS_OF, datetime.date(YEAR, 12, 31))]
    floor_full, _ = best_of(lambda: sql_rows(rows_sql, window))
    floor_counts, _ = counts_1330_floor()
    counted = json.loads(report)["counts"]
    return [
        {"figure": f"1330 JSON without rows, {counted['100m']:,} projects ≥1亿", "value": full, "floor": floor_full,
         "target": "≤ 2× floor", "passed": full <= 2 * floor_full, "unit": "s"},
        {"figure": "1330 counts, chart and pace (dashboard)", "value": counts, "floor": floor_counts,
         "target": "≤ 2× floor", "passed": counts <= 2 * floor_counts, "unit": "s"},
    ]


def issue_11_figures(args) -> list[dict]:
    """report_compliance and report_factors (issue 11), each measured by its own script on its own
    database of --n projects (this run's database name + _compliance / _factors): their data have
    标准地 agreements and 要素 needs in realistic proportions, which this run's data, kept as issue
    12 measured it (the bulletin's 18,612 overdue rows), has not."""
    from urllib.parse import urlparse

    figures = []
    url = urlparse(os.environ["DATABASE_URL"])
    for script in ("compliance", "factors"):
        database = url._replace(path=f"{url.path}_{script}").geturl()
        command = [sys.executable, str(Path(__file__).with_name(f"{script}.py")), "--projects", str(args.n),
                   "--figures-json", *(["--reuse"] if args.reuse else [])]
        child = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "DATABASE_URL": database})
        if child.returncode:
            raise SystemExit(child.stdout + child.stderr)
        figures += json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def light_figures() -> list[dict]:
    """Section 4's lights where people meet them (issue 12 part 1): the 台账 red filter (count and
    first page, as the page asks), sorted by overdue days, the light counts of the center and of the
    busiest unit's own scope, and both dashboards. Pages go through Django's test client in this
    process, with today frozen at the data's as-of date so that the lights are the generator's.
    Each page is timed with its cached counts retired first (the time after a change to the data);
    the dashboards also as they are served again when nothing changed."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.test import Client

    from milestones.selectors import light_counts
    from projects.selectors import own_projects

    bench_users()  # the logins (idempotent)
    users = get_user_model().objects.select_related("profile")
    center, unit = users.get(username="bench_center"), users.get(username="bench_unit")
    clients = {user.username: Client(HTTP_HOST="127.0.0.1") for user in (center, unit)}

    def page(username, path, *, cached=False):
        """A page's time; unless `cached`, with the cached counts retired first (projects.cache), as
        after any change to the data: the time of computing them."""
        from projects.cache import new_version

        def get():
            if not cached:
                new_version()
            response = clients[username].get(path)
            assert response.status_code == 200, (path, response.status_code)
        return get

    figures = []
    with time_machine.travel(datetime.datetime.combine(AS_OF, datetime.time(9)), tick=True):
        for user in (center, unit):  # logged in at the frozen time, or the idle timeout ends the session
            clients[user.username].force_login(user)
        center_counts, lights = best_of(lambda: light_counts(as_of=AS_OF))
        unit_counts, _ = best_of(lambda: light_counts(as_of=AS_OF, projects=own_projects(unit, as_of=AS_OF)))
        red_page, _ = best_of(page("bench_center", "/projects/?light=red"))
        red_sorted, _ = best_of(page("bench_center", "/projects/?light=red&ordering=-overdue"))
        unit_red, _ = best_of(page("bench_unit", "/projects/?light=red"))
        center_dashboard, _ = best_of(page("bench_center", "/"))
        unit_dashboard, _ = best_of(page("bench_unit", "/"))
        center_cached, _ = best_of(page("bench_center", "/", cached=True))
        unit_cached, _ = best_of(page("bench_unit", "/", cached=True))
    shown_lights = f"{lights['red']:,} red, {lights['yellow']:,} yellow, {lights['green']:,} green"
    for label, value in (
        (f"light counts, all projects ({shown_lights})", center_counts),
        ("light counts, the busiest unit's own scope", unit_counts),
        ("台账 ?light=red page (center)", red_page),
        ("台账 ?light=red&ordering=-overdue page (center)", red_sorted),
        ("台账 ?light=red page (unit, own scope)", unit_red),
        ("dashboard page (center)", center_dashboard),
        ("dashboard page (center), its counts cached (nothing changed since the last view)", center_cached),
        ("dashboard page (unit), its counts cached", unit_cached),
    ):
        figures.append({"figure": label, "value": value, "floor": None, "target": "—", "passed": True, "unit": "s"})
    figures.append({"figure": "dashboard page (unit), floor: the center's", "value": unit_dashboard,
                    "floor": center_dashboard, "target": "≤ 1× the center's", "passed": unit_dashboard <= center_dashboard,
                    "unit": "s"})
    return figures


def import_figures(rows: int) -> list[dict]:
    """bench/import_ledger.py in a child process, on its own database (`<name>_import`, emptied
    first): the floor (read the sheet + COPY its projects and nodes), then three imports of a
    `rows`-row ledger: all new, all changed, the same file again."""
    from urllib.parse import urlparse

    url = urlparse(os.environ["DATABASE_URL"])
    database = url._replace(path=f"{url.path}_import").geturl()
    ensure_database(database)
    child = subprocess.run([sys.executable, str(Path(__file__).with_name("import_ledger.py")), "--json",
                            "--rows", str(rows)], capture_output=True, text=True,
                           env={**os.environ, "DATABASE_URL": database})
    if child.returncode:
        raise SystemExit(child.stdout + child.stderr)
    result = json.loads(next(line for line in child.stdout.splitlines() if line.startswith("JSON "))[5:])
    floor, first = result["floor"]["rows_per_s"], result["first"]["rows_per_s"]
    figures = [{"figure": f"ledger import, {rows:,} rows, first run (all new)", "value": first, "floor": floor,
                "target": "≥ 50% of floor", "passed": first >= 0.5 * floor, "unit": "rows/s"}]
    for run, label in (("second", "second run (all changed)"), ("third", "third run (same file)")):
        value = result[run]["rows_per_s"]
        figures.append({"figure": f"ledger import, {rows:,} rows, {label}", "value": value, "floor": floor,
                        "target": "faster than the first", "passed": value > first, "unit": "rows/s"})
    return figures


def bulletin_figures() -> list[dict]:
    child = subprocess.run([sys.executable, str(Path(__file__).with_name("reports.py")), "--child-bulletin"],
                           capture_output=True, text=True, env=os.environ.copy())
    if child.returncode:
        raise SystemExit(child.stderr)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    label = f"bulletin PDF, {result['overdue']:,} overdue rows, {result['pages']} pages (wall {result['seconds']} s)"
    return [
        {"figure": label, "value": result["cpu"], "floor": None, "target": "< 10 s CPU",
         "passed": result["cpu"] < 10, "unit": "s", "wall": result["seconds"]},
        {"figure": "bulletin PDF peak RSS", "value": result["rss_peak_mb"], "floor": None, "target": "< 300 MB",
         "passed": result["rss_peak_mb"] < 300, "unit": "MB"},
    ]


# --- the HTTP load ---------------------------------------------------------------------------------


def bench_users() -> list[dict]:
    """A center, a unit and a leader login, each with a session cookie and an API token."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from accounts.tokens import issue_token
    from projects.models import Leader, Profile, Project, Role, Unit

    busiest = Unit.objects.annotate(n=Count("projects")).order_by("-n").first()
    center = Unit.objects.filter(is_investment_center=True).first()
    leader = Leader.objects.order_by("pk").first()
    users = []
    for name, role, unit in (("bench_center", Role.CENTER, center), ("bench_unit", Role.UNIT, busiest),
                             ("bench_leader", Role.LEADER, None)):
        user, _ = get_user_model().objects.get_or_create(username=name)
        Profile.objects.update_or_create(user=user, defaults={"role": role, "unit": unit})
        if role == Role.LEADER:
            Leader.objects.filter(pk=leader.pk).update(user=user)
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
        session.create()
        scope = Project.objects.filter(responsible_unit=unit) if role == Role.UNIT else Project.objects.all()
        if role == Role.LEADER:
            scope = Project.objects.filter(contact_leader=leader)
        code = scope.order_by("code").values_list("code", flat=True)[scope.count() // 2]
        users.append({"role": role, "cookie": f"sessionid={session.session_key}", "token": issue_token(user),
                      "code": code})
    return users


def page_mix(user: dict) -> list[tuple[str, str]]:
    api = {"Authorization": f"Token {user['token']}"}
    # A unit may not read the city-wide 1330 report (issue 8: a 404); its report call is its
    # overdue list, so every request of the mix is one its user can make (errors count as failures).
    report = (("1330 API", f"/api/reports/1330/?year={YEAR}", api) if user["role"] != "unit"
              else ("overdue API", "/api/overdue/", api))
    return [
        ("dashboard", "/", None), ("台账", "/projects/", None), ("台账 red", "/projects/?light=red", None),
        ("台账 page 200", "/projects/?page=200", None), ("detail", f"/projects/{user['code']}/", None),
        ("API list", "/api/projects/", api), report,
    ]


async def fetch(reader, writer, path: str, headers: dict) -> tuple[int, int]:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{key}: {value}" for key, value in headers.items()), "", ""]
    writer.write("\r\n".join(lines).encode())
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        size = 0
        while (chunk := int((await reader.readline()).strip(), 16)):
            await reader.readexactly(chunk + 2)
            size += chunk
        await reader.readline()
        return status, size
    await reader.readexactly(length)
    return status, length


async def one_user(port, user, deadline, pause, samples, rng):
    """One user's closed loop. A connection per request: gunicorn's sync workers close it anyway.
    Pausing users start at a random moment within their first pause: started together, fifty users
    arrived in lockstep, fifty requests at once every 3 s, which no office does."""
    mix = page_mix(user)
    if pause:
        await asyncio.sleep(rng.uniform(0, pause))
    while time.perf_counter() < deadline:
        name, path, extra = rng.choice(mix)
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                status, _ = await fetch(reader, writer, path, extra or {"Cookie": user["cookie"]})
            finally:
                writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            status = 0
        samples.append((name, time.perf_counter() - started, status))
        if pause:
            await asyncio.sleep(pause)


def http_load(*, users: list[dict], concurrency: int, seconds: float, pause: float, port: int) -> dict:
    samples: list = []
    rng = random.Random(12)

    async def run():
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(one_user(port, users[i % len(users)], deadline, pause, samples, rng)
                               for i in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    durations = sorted(d for _, d, _ in samples)
    p95 = durations[int(0.95 * (len(durations) - 1))] if durations else None
    return {"requests": len(samples), "rps": len(samples) / elapsed, "p50": statistics.median(durations) if durations else None,
            "p95": p95, "errors": sum(1 for *_, status in samples if status != 200),
            "error_detail": dict(Counter(f"{name} {status}" for name, _, status in samples if status != 200))}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc; 0 where it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _server_cpu(gunicorn: subprocess.Popen) -> float:
    """CPU seconds of gunicorn's workers and of their PostgreSQL backends (application_name bench-http)."""
    from django.db import connection

    workers = subprocess.run(["pgrep", "-P", str(gunicorn.pid)], capture_output=True, text=True).stdout.split()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-http'")
        backends = [row[0] for row in cursor.fetchall()]
    return sum(_cpu_seconds(int(pid)) for pid in [*workers, *backends])


def http_figures(args) -> list[dict]:
    users = bench_users()
    port = free_port()
    url = os.environ["DATABASE_URL"]
    # Names the workers' connections, so that their backends' CPU can be told from the others'.
    database_url = url + ("&" if "?" in url else "?") + "application_name=bench-http"
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "LOCAL_SECRET_KEY": "1",
                       "ALLOWED_HOSTS": "127.0.0.1",
                       "SECURE_SSL_REDIRECT": "0"},  # plain HTTP on loopback: no proxy in front to end TLS
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        http_load(users=users, concurrency=2, seconds=3, pause=0, port=port)  # warm the workers
        cpu_before = _server_cpu(gunicorn)
        saturated = http_load(users=users, concurrency=args.users, seconds=args.seconds, pause=0, port=port)
        cpu_per_request = (_server_cpu(gunicorn) - cpu_before) / max(saturated["requests"], 1)
        paced = http_load(users=users, concurrency=args.paced_users, seconds=args.seconds, pause=3, port=port)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    return [
        {"figure": f"HTTP page mix, {args.users} users without pause: requests/s", "value": saturated["rps"],
         "floor": None, "target": "≥ 40/s", "passed": saturated["rps"] >= 40, "unit": "req/s"},
        {"figure": f"HTTP page mix, {args.users} users: p95", "value": saturated["p95"], "floor": None,
         "target": "< 1 s", "passed": saturated["p95"] is not None and saturated["p95"] < 1
         and not saturated["errors"], "unit": "s", "errors": saturated["error_detail"]},
        # What bounds the throughput: 2 cores give 2 CPU-seconds a second to the workers, their
        # database backends and the load client together.
        {"figure": "HTTP page mix: server CPU a request (workers and their PostgreSQL backends)",
         "value": cpu_per_request * 1000, "floor": None, "target": "—", "passed": True, "unit": "ms"},
        {"figure": f"HTTP page mix, {args.paced_users} users pausing 3 s: p95", "value": paced["p95"], "floor": None,
         "target": "< 0.3 s, 0 errors", "passed": paced["p95"] is not None and paced["p95"] < 0.3
         and not paced["errors"], "unit": "s", "errors": paced["error_detail"]},
    ]


# --- the table -------------------------------------------------------------------------------------


def fill(n: int, reuse: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    from projects.models import Leader, Project

    call_command("migrate", verbosity=0, skip_checks=True)
    for name in ("市长", "常务副市长", "副市长（分管工业）", "副市长（分管城建）"):
        Leader.objects.get_or_create(name=name)
    if reuse and Project.objects.count() == n:
        return
    DATA.empty_tables()
    rng = random.Random(4)
    started = time.perf_counter()
    DATA.generate(total=n, start_index=0, overdue_left=[round(n * OVERDUE_SHARE)], rng=rng)
    DATA.add_problems(rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{n:,} projects generated in {time.perf_counter() - started:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="projects to generate (default 100,000)")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run with the same --n")
    parser.add_argument("--users", type=int, default=10, help="concurrent users without pause")
    parser.add_argument("--paced-users", type=int, default=50, help="concurrent users pausing 3 s between pages")
    parser.add_argument("--seconds", type=float, default=20, help="length of each HTTP run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP load")
    parser.add_argument("--no-bulletin", action="store_true", help="skip the bulletin PDF")
    parser.add_argument("--no-import", action="store_true", help="skip the ledger import")
    parser.add_argument("--http-only", action="store_true", help="only the HTTP load (on data already there)")
    parser.add_argument("--import-rows", type=int, default=10_000, help="rows of the imported ledger")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench.json"), help="where to save the table")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    DATA.setup_django()
    fill(args.n, args.reuse)
    if args.http_only:
        args.no_import = args.no_bulletin = True
    figures = [] if args.http_only else [overdue_figure(), *light_figures(), *report_1330_figures(),
                                         *issue_11_figures(args)]
    if not args.no_import:
        figures += import_figures(args.import_rows)
    if not args.no_bulletin:
        figures += bulletin_figures()
    if not args.no_http:
        figures += http_figures(args)
    print_table(figures)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(
        {"n": args.n, "as_of": AS_OF.isoformat(), "measured_at": datetime.datetime.now().isoformat(timespec="seconds"),
         "figures": figures}, ensure_ascii=False, indent=2, default=str))
    print(f"saved {args.json}")


if __name__ == "__main__":
    main()
