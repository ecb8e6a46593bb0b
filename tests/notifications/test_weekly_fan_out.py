"""Issue 12 part 6: the weekly alert fans out per recipient as tasks, and still sends each once."""

import datetime

import pytest

from notifications import services, tasks
from notifications.models import Kind, Notification
from notifications.services import fan_out_weekly_alert, weekly_alert
from projects.models import Role
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory

AS_OF = datetime.date(2026, 6, 29)  # a Monday
FAR = {"start": datetime.date(2030, 1, 1), "statistics": datetime.date(2030, 2, 1),
       "production": datetime.date(2031, 1, 1)}

pytestmark = pytest.mark.django_db


def sent():
    return sorted(Notification.objects.filter(kind=Kind.WEEKLY).values_list(
        "reason", "channel", "recipient_key", "subject", "body", "attach_bulletin_as_of"))


def single_run_rows(monkeypatch) -> list:
    """What one weekly_alert(as_of) run would write, taken from write_outbox without writing it
    (the outbox is append-only evidence: a test cannot wipe it to start over on PostgreSQL)."""
    planned, write = [], services.write_outbox

    def capture(rows, *, dry_run=False):
        planned.extend(rows)
        return write(rows, dry_run=True)

    monkeypatch.setattr(services, "write_outbox", capture)
    weekly_alert(as_of=AS_OF)
    monkeypatch.setattr(services, "write_outbox", write)
    return sorted((row.reason, row.channel, row.recipient_key, row.subject, row.body, row.attach_bulletin_as_of)
                  for row in planned)


@pytest.fixture
def a_week(center_user, land_unit, land_user):
    """Two units, two leaders (one without a login), overdue and due-soon nodes, old problems."""
    other = UnitFactory(name="乙单位", email="yi@example.com")
    UserFactory(username="yi", role=Role.UNIT, role__unit=other, email="yi.user@example.com")
    with_login = LeaderFactory(name="王副市长", user=UserFactory(username="wang", role=Role.LEADER))
    without_login = LeaderFactory(name="李副市长")
    for i, (unit, leader, offset) in enumerate([(other, with_login, -40), (other, without_login, -2),
                                                (land_unit, with_login, 10), (other, None, 60)]):
        project = ProjectFactory(code=f"W{i}", responsible_unit=unit, contact_leader=leader,
                                 planned={"land": AS_OF + datetime.timedelta(days=offset), **FAR})
        ProblemFactory(project=project, assigned_unit=unit, raised_on=AS_OF - datetime.timedelta(days=20),
                       reply_by=AS_OF - datetime.timedelta(days=1))


def test_the_fan_out_writes_exactly_what_the_single_run_writes(a_week, eager_tasks, monkeypatch):
    expected = single_run_rows(monkeypatch)
    assert len({row[2] for row in expected}) >= 5  # units, leaders, the center and their users
    summary = fan_out_weekly_alert(as_of=AS_OF)
    assert summary["queued"] == len(services.weekly_recipients()) and summary["inline"] == 0
    assert sent() == expected


def test_running_the_fan_out_again_or_a_task_twice_sends_nothing_new(a_week, eager_tasks):
    fan_out_weekly_alert(as_of=AS_OF)
    first = sent()
    fan_out_weekly_alert(as_of=AS_OF)
    assert tasks.weekly_alert_for(AS_OF.isoformat(), services.CENTER_RECIPIENT) == 0
    weekly_alert(as_of=AS_OF)
    assert sent() == first


def test_a_recipient_whose_task_cannot_be_queued_is_done_in_process(a_week, monkeypatch):
    expected = single_run_rows(monkeypatch)

    def broker_down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.weekly_alert_for, "delay", broker_down)
    summary = fan_out_weekly_alert(as_of=AS_OF)
    assert summary["queued"] == 0 and summary["inline"] == len(services.weekly_recipients())
    assert sent() == expected
