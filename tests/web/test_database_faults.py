"""Issue 8 section 4: the PostgreSQL connection dropped under requests (pg_terminate_backend, as a
restart or failover does) gives clean errors (503 in Chinese, never a 500 or a traceback) and the
next requests recover by themselves. Runs against the real PostgreSQL (always under CI=true)."""

import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection
from django.test import Client

from projects.models import Role
from tests.conftest import uses_postgres
from tests.factories import ProjectFactory, UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGES = ["/projects/", "/api/projects/", "/"]


def _get(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_dropped_database_connections_answer_503_and_the_next_requests_recover(live_server):
    if not uses_postgres():
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    for n in range(5):
        ProjectFactory(code=f"SZ-DB-{n}")
    client = Client()
    client.force_login(UserFactory(username="center-db", role=Role.CENTER))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    assert all(_get(live_server.url + page, cookie)[0] == 200 for page in PAGES)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
    stop, kills, answers = threading.Event(), [], []

    def killer():
        # Drops every connection of the test database but this test's own, every 100 ms.
        with psycopg.connect(**params, autocommit=True) as admin:
            while not stop.is_set():
                dropped = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
                    [own_pid],
                ).fetchone()[0]
                kills.append(dropped)
                time.sleep(0.1)

    def browse():
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            for page in PAGES:
                answers.append((page, *_get(live_server.url + page, cookie)))

    threads = [threading.Thread(target=killer)] + [threading.Thread(target=browse) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(60)
    stop.set()
    threads[0].join(10)

    statuses = [status for _, status, _ in answers]
    assert sum(kills) > 0 and len(answers) > 0
    assert set(statuses) <= {200, 503}, [(p, s, b[:300]) for p, s, b in answers if s not in (200, 503)]
    for page, status, body in answers:
        if status == 503:
            assert "数据库暂时不可用，请稍后重试" in body and "Traceback" not in body
    # Recovery: with the connections no longer dropped, every request answers normally again.
    assert [_get(live_server.url + page, cookie)[0] for page in PAGES * 3] == [200] * 9
    print(f"database faults: {sum(kills)} connections dropped, {len(answers)} requests, "
          f"{statuses.count(503)} answered 503, {statuses.count(200)} 200, 0 others")
