"""DOMAIN.md section 6 end to end on the real services: a Celery worker on Redis delivers what a
change wrote to the outbox, and a broker outage while the change is made only delays it (the sweep
re-enqueues). Runs with DATABASE_URL=postgres… and REDIS_URL set (always under CI=true)."""

import time

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from config.celery import app
from notifications import services
from notifications.models import Channel, DeliveryStatus, Notification
from projects.models import Role, Unit, local_today
from projects.services import project_transition, project_update
from tests.factories import ProjectFactory, UserFactory

# serialized_rollback: a transactional test flushes the tables, reference data (units, calendar) included.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEAD_BROKER = "redis://127.0.0.1:1/2"  # nothing listens on port 1


def _reset_producers():
    # Publishing reuses pooled connections (celery's and kombu's global producer pools); drop them
    # so that the next publish connects to broker_url afresh.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker():
    import redis
    from celery.contrib.testing.worker import start_worker

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # no messages left over from other runs
    _reset_producers()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        yield
    _reset_producers()


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def email_rows():
    return Notification.objects.filter(channel=Channel.EMAIL)


def sent():
    return email_rows().exists() and not email_rows().exclude(status=DeliveryStatus.SENT).exists()


def test_a_worker_on_redis_delivers_a_reminder_end_to_end(worker):
    unit = Unit.objects.get(name="市自然资源局")
    UserFactory(username="zr", email="zr@example.com", role=Role.UNIT, role__unit=unit)
    project = ProjectFactory()
    today = local_today()
    # A planned date of today is inside every reminder window: the edit writes the reminder at once.
    project_update(project=project, planned_dates={"land": today})
    assert email_rows().count() == 1
    assert wait_for(sent), list(email_rows().values("status", "attempts", "last_error"))
    [message] = mail.outbox
    assert message.to == ["zr@example.com"] and "节点到期提醒" in message.subject


def test_a_transition_made_while_redis_is_unreachable_is_delivered_once_redis_is_back(worker, monkeypatch, caplog):
    unit = Unit.objects.get(name="市住建局")
    UserFactory(username="zj", email="zj@example.com", role=Role.UNIT, role__unit=unit)
    today = local_today()
    project = ProjectFactory(planned={"start": today})

    monkeypatch.setattr(app.conf, "broker_url", DEAD_BROKER)
    _reset_producers()
    project_transition(project=project, name="acquire_land", effective_date=today)
    row = email_rows().get()
    assert row.status == DeliveryStatus.PENDING  # committed with the transition, not yet handed over
    assert "Broker unavailable, 1 notifications left to the sweep" in caplog.text
    time.sleep(1)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and mail.outbox == []

    monkeypatch.undo()  # Redis is back
    _reset_producers()
    # The periodic sweep finds the row once its grace period is over.
    assert services.sweep_pending(now=timezone.now() + services.SWEEP_GRACE) == 1
    assert wait_for(sent), list(email_rows().values("status", "attempts", "last_error"))
    assert [m.to for m in mail.outbox] == [["zj@example.com"]]
    # A second sweep has nothing left to send.
    assert services.sweep_pending(now=timezone.now() + services.SWEEP_GRACE) == 0
