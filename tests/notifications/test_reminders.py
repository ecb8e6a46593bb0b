"""DOMAIN.md section 6: reminders to the node's responsible unit N working days (10 and 3) before
its planned date; a changed planned date re-arms them; each is sent once."""

import datetime

import pytest

from milestones.workdays import working_days_before
from notifications.models import Channel, Kind, Notification, ReminderOffset
from notifications.services import reminder_offset_due, send_reminders
from projects.services import project_update
from tests.factories import ProjectFactory

D = datetime.date
FAR = {"start": D(2030, 1, 1), "statistics": D(2030, 2, 1), "production": D(2031, 1, 1)}
PLANNED = D(2026, 3, 20)  # a Friday

pytestmark = pytest.mark.django_db


def reminders():
    return Notification.objects.filter(kind=Kind.REMINDER)


def test_the_send_days_are_ten_and_three_working_days_before():
    offsets = [3, 10]
    assert working_days_before(PLANNED, 10) == D(2026, 3, 6)
    assert working_days_before(PLANNED, 3) == D(2026, 3, 17)
    assert reminder_offset_due(PLANNED, as_of=D(2026, 3, 5), offsets=offsets) is None
    assert reminder_offset_due(PLANNED, as_of=D(2026, 3, 6), offsets=offsets) == 10
    assert reminder_offset_due(PLANNED, as_of=D(2026, 3, 16), offsets=offsets) == 10
    assert reminder_offset_due(PLANNED, as_of=D(2026, 3, 17), offsets=offsets) == 3
    assert reminder_offset_due(PLANNED, as_of=D(2026, 3, 20), offsets=offsets) == 3
    assert reminder_offset_due(PLANNED, as_of=D(2026, 3, 21), offsets=offsets) is None


def test_the_responsible_unit_is_reminded_on_each_send_day_once(land_unit, land_user):
    project = ProjectFactory(planned={"land": PLANNED, **FAR})
    assert send_reminders(as_of=D(2026, 3, 5)).created == 0
    assert send_reminders(as_of=D(2026, 3, 6)).created == 2  # inbox + e-mail of the unit's user
    assert send_reminders(as_of=D(2026, 3, 9)).created == 0
    assert send_reminders(as_of=D(2026, 3, 6)).created == 0  # a second run of the same day
    assert send_reminders(as_of=D(2026, 3, 17)).created == 2
    rows = reminders().order_by("id")
    assert {(r.channel, r.recipient, r.unit) for r in rows} == {
        (Channel.INBOX, land_user, land_unit), (Channel.EMAIL, land_user, land_unit)
    }
    assert [r.reason for r in rows][::2] == [
        f"reminder:node={project.nodes.get(node_type='land').pk}:2026-03-20:n=10",
        f"reminder:node={project.nodes.get(node_type='land').pk}:2026-03-20:n=3",
    ]
    assert "距今还有 3 个工作日" in rows.last().body


def test_a_reminder_counts_working_days_across_spring_festival():
    # Planned Wed 2026-02-25: the holiday is 2/15–2/23 and Saturday 2/14 is a 调休 working day,
    # so ten working days before is Wednesday 2/4 and three is Friday 2/13.
    ProjectFactory(planned={"land": D(2026, 2, 25), **FAR})
    assert send_reminders(as_of=D(2026, 2, 3)).created == 0
    assert send_reminders(as_of=D(2026, 2, 4)).created == 1  # the unit has no users: one unit inbox row
    assert send_reminders(as_of=D(2026, 2, 12)).created == 0
    assert send_reminders(as_of=D(2026, 2, 13)).created == 1
    assert [r.reason[-4:] for r in reminders().order_by("id")] == ["n=10", ":n=3"]


def test_a_unit_without_users_gets_a_unit_inbox_row_and_its_webhook_and_mailbox(land_unit):
    land_unit.webhook_url = "https://oapi.dingtalk.com/robot/send?access_token=x"
    land_unit.email = "office@example.com"
    land_unit.save()
    ProjectFactory(planned={"land": PLANNED, **FAR})
    send_reminders(as_of=D(2026, 3, 6))
    assert {(r.channel, r.recipient_key, r.status) for r in reminders()} == {
        (Channel.INBOX, f"unit:{land_unit.pk}", "sent"),
        (Channel.EMAIL, f"unit:{land_unit.pk}", "pending"),
        (Channel.WEBHOOK, f"unit:{land_unit.pk}", "pending"),
    }


def test_a_changed_planned_date_re_arms_the_reminders(travel):
    project = ProjectFactory(planned={"land": PLANNED, **FAR})
    send_reminders(as_of=D(2026, 3, 6))
    assert reminders().count() == 1
    travel(D(2026, 3, 9))
    project_update(project=project, planned_dates={"land": D(2026, 4, 30)})
    assert reminders().count() == 1  # the new date is far: nothing yet
    send_reminders(as_of=working_days_before(D(2026, 4, 30), 10))
    assert reminders().count() == 2
    assert reminders().order_by("id").last().reason.endswith(":2026-04-30:n=10")


def test_a_planned_date_moved_inside_the_window_gets_one_catch_up_reminder_at_once(travel):
    project = ProjectFactory(planned={"land": D(2026, 6, 30), **FAR})
    travel(D(2026, 3, 16))
    # Both send days of 3/18 (3/4 and 3/13) are past: one reminder, the most urgent, right now.
    project_update(project=project, planned_dates={"land": D(2026, 3, 18)})
    [row] = reminders()
    assert row.reason.endswith(":2026-03-18:n=3")
    assert send_reminders(as_of=D(2026, 3, 16)).created == 0


def test_a_catch_up_reminder_on_the_planned_date_says_no_working_day_is_left():
    ProjectFactory(planned={"land": PLANNED, **FAR})
    send_reminders(as_of=PLANNED)
    assert "到期前已没有工作日" in reminders().get().body


def test_a_node_already_past_its_planned_date_is_not_reminded():
    ProjectFactory(planned={"land": D(2026, 3, 5), **FAR})
    assert send_reminders(as_of=D(2026, 3, 6)).created == 0


def test_a_done_node_is_not_reminded():
    ProjectFactory(planned={"land": PLANNED, **FAR}, actual={"land": D(2026, 3, 1)}, status="land_acquired")
    assert send_reminders(as_of=D(2026, 3, 6)).created == 0


def test_the_offsets_are_data():
    ReminderOffset.objects.all().delete()
    ReminderOffset.objects.create(working_days=5)
    ProjectFactory(planned={"land": PLANNED, **FAR})
    assert send_reminders(as_of=working_days_before(PLANNED, 5)).created == 1
    assert reminders().get().reason.endswith(":n=5")


def test_the_reminder_run_is_a_fixed_number_of_queries(django_assert_max_num_queries):
    for _ in range(10):
        ProjectFactory(planned={"land": PLANNED, **FAR})
    with django_assert_max_num_queries(9):
        assert send_reminders(as_of=D(2026, 3, 6)).created == 10


def test_the_daily_reminder_task_waits_for_a_working_day(travel):
    from notifications import tasks

    # Planned Friday 2025-10-10: three working days before is Monday 9/29 (Sunday 9/28 is 调休).
    ProjectFactory(planned={"land": D(2025, 10, 10), **FAR})
    travel(D(2025, 10, 1))  # 国庆: nothing goes out on a holiday
    assert tasks.send_reminders() is None
    travel(D(2025, 9, 29))
    assert tasks.send_reminders() == 1
    assert reminders().get().reason.endswith(":2025-10-10:n=3")
