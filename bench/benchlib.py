"""Shared by the benchmark scripts (run as `python bench/NAME.py`, so this folder is on sys.path)."""

from urllib.parse import urlparse


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def fill_in_two_steps(*, projects: int, reuse: bool, empty_tables, generate, measure, rng):
    """Migrate, then fill `projects` projects in two steps, measuring after the first tenth so that a
    report's query count can be compared at two sizes. Returns the tenth's measurement (None when
    `reuse` kept the data of a previous run of the same size)."""
    import time

    from django.core.management import call_command
    from django.db import connection

    from projects.models import Project

    call_command("migrate", verbosity=0, skip_checks=True)
    if reuse and Project.objects.count() == projects:
        return None
    empty_tables()
    tenth = projects // 10
    started = time.perf_counter()
    print(f"generating {tenth:,} projects …", flush=True)
    generate(total=tenth, start_index=0, rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    small = measure(f"{tenth:,} projects")
    print(f"generating up to {projects:,} projects …", flush=True)
    generate(total=projects, start_index=tenth, rng=rng)
    print(f"data generated in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return small


def best_of(function, runs: int = 3) -> tuple[float, object]:
    """The best wall time of `runs` calls after a warm-up call (caches and the connection warm, as a
    running server's would be), and the last result."""
    import time

    function()
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def timed(function) -> tuple[float, float, object]:
    """One call's wall time, CPU time of this process and result (for files rendered once)."""
    import time

    started, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - started, time.process_time() - cpu, result


def sql_rows(query: str, params=()) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def shown(value, unit) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 10 else f"{value:,.1f} s"
    return f"{value:,.1f} {unit}"


def print_table(figures: list[dict]) -> None:
    """figure, value, floor, ratio, target, pass/fail as a Markdown table."""
    header = ["figure", "value", "floor", "ratio", "target", "pass/fail"]
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for f in figures:
        ratio = f"{f['value'] / f['floor']:.1f}×" if f.get("floor") and f.get("value") is not None else "—"
        print("| " + " | ".join([f["figure"], shown(f["value"], f["unit"]), shown(f.get("floor"), f["unit"]), ratio,
                                 f["target"], "pass" if f["passed"] else "FAIL"]) + " |")
