"""Issue 8 section 4 against the real services (PostgreSQL, Redis, Celery worker processes; run
under CI=true): a worker killed with SIGKILL mid-delivery loses no notification, and an import made
while Redis is unreachable is saved and its notifications delivered once Redis is back."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Channel, DeliveryStatus, Kind, Notification
from notifications.services import Message
from projects.ledger import import_ledger
from projects.models import Role, Unit, local_today
from tests.factories import UserFactory
from tests.notifications.test_celery_services import DEAD_BROKER, _reset_producers, wait_for, worker  # noqa: F401

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BASE_DIR = Path(settings.BASE_DIR)
DELIVERY_ID = re.compile(r"消息编号 (\d+) · 第 (\d+) 次发送")
CLAIM_SECONDS = 3  # the worker processes' claim, so that the test need not wait the real 60 s


class _SlowRobot(BaseHTTPRequestHandler):
    """A group robot that holds the first message until released (the worker is killed meanwhile)."""

    def do_POST(self):
        import json

        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.received.append(body)
            first = len(self.server.received) == 1
        if first:
            self.server.release.wait(30)
        payload = b'{"errcode": 0}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the worker that sent it is dead

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_robot():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowRobot)
    server.daemon_threads = True
    server.received, server.lock, server.release = [], threading.Lock(), threading.Event()
    server.url = f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker_process(name):
    """A real `celery worker` process on the test database and Redis, as production runs it."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL,
           "NOTIFICATION_CLAIM_SECONDS": str(CLAIM_SECONDS), "CI": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--hostname", f"{name}@%h",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_a_worker_killed_mid_delivery_loses_no_notification(slow_robot):
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    _reset_producers()
    rows = []
    for n in range(5):
        message = Message(Kind.REMINDER, f"reminder:kill:{n}", f"【节点到期提醒】第{n}条", "正文")
        row = services._row(message, Channel.WEBHOOK, "unit:kill", address=slow_robot.url)
        row.save()
        rows.append(row)
    assert services.enqueue_pending(ids=[row.pk for row in rows]) == 5

    first = _start_worker_process("doomed")
    try:
        assert wait_for(lambda: slow_robot.received, seconds=60), first.stderr.read1().decode() if first.poll() else ""
        os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the robot holds the first message
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    slow_robot.release.set()
    in_flight = int(DELIVERY_ID.search(slow_robot.received[0]["markdown"]["text"]).group(1))
    assert Notification.objects.get(pk=in_flight).status == DeliveryStatus.PENDING  # claimed by the dead worker

    second = _start_worker_process("survivor")
    try:
        # The rest are still queued; the one in flight is due again when its claim expires, and the
        # periodic sweep hands it over (called here rather than waiting for beat's five minutes).
        def all_sent():
            services.sweep_pending(now=timezone.now() + services.SWEEP_GRACE)
            return not Notification.objects.filter(pk__in=[r.pk for r in rows]).exclude(status=DeliveryStatus.SENT)

        assert wait_for(all_sent, seconds=90), list(Notification.objects.values("pk", "status", "attempts"))
    finally:
        _stop(second)

    delivered = [tuple(map(int, DELIVERY_ID.search(m["markdown"]["text"]).groups())) for m in slow_robot.received]
    ids = [pk for pk, _ in delivered]
    assert sorted(set(ids)) == sorted(row.pk for row in rows)  # none lost
    # Only the message in flight at the kill went twice, and its second copy says so.
    assert [pk for pk in set(ids) if ids.count(pk) > 1] in ([], [in_flight])
    assert all(attempt == 1 for pk, attempt in delivered if pk != in_flight)


def _ledger_with_a_node_due_today(path):
    from tests.projects.test_ledger import base_row, write_ledger

    today = local_today()
    row = base_row(**{"项目编号": "SZ-REDIS-1", "项目名称": "断网导入项目", "签约日期": today.isoformat(),
                      "计划供地日期": today.isoformat()})
    return write_ledger(path, [row])


def test_an_import_made_while_redis_is_unreachable_is_saved_and_notified_once_redis_is_back(
    worker, monkeypatch, caplog, tmp_path  # noqa: F811
):
    from config.celery import app
    from projects.models import Project

    land_unit = Unit.objects.get(name="市自然资源局")
    UserFactory(username="zr-import", email="zr-import@example.com", role=Role.UNIT, role__unit=land_unit)
    path = _ledger_with_a_node_due_today(tmp_path / "ledger.xlsx")

    monkeypatch.setattr(app.conf, "broker_url", DEAD_BROKER)
    _reset_producers()
    result = import_ledger(path_or_file=path, create_missing=True)
    assert result.ok, result.errors
    assert Project.objects.filter(code="SZ-REDIS-1").exists()  # the data is saved
    rows = Notification.objects.filter(channel=Channel.EMAIL, project__code="SZ-REDIS-1")
    assert rows.count() == 1 and rows.get().status == DeliveryStatus.PENDING
    assert "Broker unavailable" in caplog.text

    monkeypatch.undo()  # Redis is back
    _reset_producers()
    assert services.sweep_pending(now=timezone.now() + services.SWEEP_GRACE) == 1
    assert wait_for(lambda: rows.get().status == DeliveryStatus.SENT), list(rows.values("status", "last_error"))
    assert [m.to for m in mail.outbox] == [["zr-import@example.com"]]
    assert services.sweep_pending(now=timezone.now() + services.SWEEP_GRACE) == 0
