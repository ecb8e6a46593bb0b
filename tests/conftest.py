"""Test setup shared by every test.

Under CI=true the suite must run against the real PostgreSQL and Redis: a missing service fails the
run instead of being skipped. Elsewhere the service-bound tests are skipped with a reason.
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"


def redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_sessionstart(session):
    if IN_CI:
        problems = []
        if not uses_postgres():
            problems.append("DATABASE_URL does not point at PostgreSQL")
        if not redis_reachable():
            problems.append("Redis at REDIS_URL is unreachable")
        if problems:
            pytest.exit("CI=true but " + "; ".join(problems), returncode=3)


def pytest_collection_modifyitems(config, items):
    if IN_CI:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL + Redis + a Celery worker (set DATABASE_URL and REDIS_URL)")
    missing = not (uses_postgres() and redis_reachable())
    for item in items:
        if "services" in item.keywords and missing:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """A test's writes roll back, not forward: the aggregates it cached (projects.cache) must not
    reach the next test, whose data differ under the same version."""
    from django.core.cache import cache

    from milestones import workdays

    cache.clear()
    # The calendar's rows are kept per process; a test's CalendarDay rolled back leaves them stale.
    workdays.clear_cache()


@pytest.fixture
def center_unit(db):
    from projects.models import Unit

    return Unit.objects.get(name="市招商投资中心")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Keep the migrated reference data (units, rules, calendar, targets) restorable for every
    transactional test. Django keeps it on the connection object; Playwright's sync API (greenlets)
    leaves later tests with a fresh connection object that lacks it, so transactional tests after
    the browser tests started on empty tables. Keeping it on the class survives that."""
    from django.db import connections

    for conn in connections.all():
        contents = getattr(conn, "_test_serialized_contents", None)
        if contents:
            type(conn)._test_serialized_contents = contents
    return django_db_setup


@pytest.fixture
def eager_tasks():
    """Tasks queued with .delay() run at once in this process (the weekly alert's fan-out, the
    import's notifications)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
