"""DOMAIN.md section 6: the weekly overdue alert, on the first working day of the week at 09:00."""

import datetime
import json
import sys
import types
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import tasks
from notifications.models import Channel, Kind, Notification
from notifications.services import deliver, weekly_alert
from projects.models import Role
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory

D = datetime.date
AS_OF = D(2026, 6, 29)  # a Monday
FAR = {"start": D(2030, 1, 1), "statistics": D(2030, 2, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


def weekly():
    return Notification.objects.filter(kind=Kind.WEEKLY)


def body_for(**lookup):
    return weekly().get(channel=Channel.INBOX, **lookup).body


@pytest.mark.parametrize(
    "today,sends",
    [
        (D(2026, 6, 29), True),  # an ordinary Monday
        (D(2026, 6, 30), False),
        (D(2025, 10, 6), False),  # Monday after 国庆 2025 is still a holiday …
        (D(2025, 10, 8), False),
        (D(2025, 10, 9), True),  # … the alert goes on Thursday
        (D(2025, 10, 11), False),  # the 调休 Saturday of that week is not the first working day
        (D(2025, 9, 22), True),  # the week whose Sunday 9/28 is 调休: Monday as usual
        (D(2025, 9, 28), False),
        (D(2026, 2, 16), False),  # Spring Festival 2026: the week has no working day, no alert
        (D(2026, 2, 20), False),
    ],
)
def test_the_scheduled_task_sends_only_on_the_first_working_day_of_the_week(travel, center_unit, today, sends,
                                                                            eager_tasks):
    travel(today)
    result = tasks.weekly_alert()
    assert (result is not None) is sends
    assert weekly().exists() is sends


def test_running_twice_in_the_same_week_sends_nothing_new(center_user):
    ProjectFactory(planned={"land": AS_OF - datetime.timedelta(days=3), **FAR})
    first = weekly_alert(as_of=AS_OF)
    assert first["created"] > 0
    again = weekly_alert(as_of=AS_OF)
    later_that_week = weekly_alert(as_of=AS_OF + datetime.timedelta(days=2))
    assert again["created"] == later_that_week["created"] == 0
    assert again["already_sent"] == first["created"]
    assert weekly_alert(as_of=AS_OF + datetime.timedelta(days=7))["created"] == first["created"]


def test_a_dry_run_writes_nothing(center_user):
    ProjectFactory(planned={"land": AS_OF - datetime.timedelta(days=3), **FAR})
    summary = weekly_alert(as_of=AS_OF, dry_run=True)
    assert summary["created"] > 0
    assert not Notification.objects.exists()


def test_each_unit_gets_its_overdue_and_due_soon_nodes(land_unit, land_user):
    ProjectFactory(code="LATE", planned={"land": AS_OF - datetime.timedelta(days=40), **FAR})
    ProjectFactory(code="SOON", planned={"land": AS_OF + datetime.timedelta(days=14), **FAR})
    ProjectFactory(code="LATER", planned={"land": AS_OF + datetime.timedelta(days=15), **FAR})
    weekly_alert(as_of=AS_OF)
    body = body_for(recipient=land_user)
    overdue, soon = body.split("【14 天内到期节点】")
    assert "LATE" in overdue and "逾期 40 天（红灯）" in overdue
    assert "SOON" in soon and "LATER" not in body
    assert weekly().filter(recipient=land_user, channel=Channel.EMAIL).exists()


def test_a_node_due_on_the_as_of_date_is_listed_as_due_today(land_unit, land_user):
    ProjectFactory(code="TODAY", planned={"land": AS_OF, **FAR})
    weekly_alert(as_of=AS_OF)
    assert "｜今天到期｜" in body_for(recipient=land_user)


def test_each_contact_leader_gets_the_overdue_nodes_of_their_projects_and_their_old_open_problems():
    user = UserFactory(username="leader1", role=Role.LEADER)
    leader = LeaderFactory(name="王副市长", user=user)
    mine = ProjectFactory(code="MINE", contact_leader=leader, planned={"land": AS_OF - datetime.timedelta(days=2), **FAR})
    ProjectFactory(code="OTHER", planned={"land": AS_OF - datetime.timedelta(days=2), **FAR})
    ProblemFactory(project=mine, description="能耗指标", raised_on=AS_OF - datetime.timedelta(days=15),
                   reply_by=AS_OF + datetime.timedelta(days=30))
    ProblemFactory(project=mine, description="新近问题", raised_on=AS_OF - datetime.timedelta(days=14),
                   reply_by=AS_OF + datetime.timedelta(days=30))
    weekly_alert(as_of=AS_OF)
    body = body_for(recipient=user)
    assert "MINE" in body and "OTHER" not in body
    assert "能耗指标" in body and "新近问题" not in body


def test_problems_past_their_reply_by_date_are_listed_to_the_unit(land_unit, land_user):
    project = ProjectFactory(planned={"land": AS_OF + datetime.timedelta(days=60), **FAR})
    ProblemFactory(project=project, assigned_unit=land_unit, description="土地报批",
                   raised_on=AS_OF - datetime.timedelta(days=9), reply_by=AS_OF - datetime.timedelta(days=2))
    weekly_alert(as_of=AS_OF)
    assert "土地报批" in body_for(recipient=land_user) and "答复已逾期" in body_for(recipient=land_user)


def test_the_investment_center_gets_everything_and_a_summary_by_unit(center_unit, center_user):
    unit = UnitFactory(name="乙单位")
    ProjectFactory(code="R1", responsible_unit=unit, planned={"land": AS_OF - datetime.timedelta(days=31), **FAR})
    ProjectFactory(code="Y1", responsible_unit=unit, planned={"land": AS_OF - datetime.timedelta(days=1), **FAR})
    ProjectFactory(code="G1", responsible_unit=unit, planned={"land": AS_OF + datetime.timedelta(days=90), **FAR})
    summary = weekly_alert(as_of=AS_OF)
    assert summary["lights"] == {"red": 1, "yellow": 1, "green": 1}
    body = body_for(recipient=center_user)
    assert "R1" in body and "Y1" in body
    assert "- 乙单位｜红灯 1｜黄灯 1｜绿灯 1｜逾期节点 0" in body
    assert "- 市自然资源局｜红灯 0｜黄灯 0｜绿灯 0｜逾期节点 2" in body
    assert weekly().get(recipient=center_user, channel=Channel.EMAIL).attach_bulletin_as_of == AS_OF


def test_a_missing_calendar_year_is_said_on_the_alert(center_user):
    summary = weekly_alert(as_of=D(2026, 12, 28))  # due-soon window reaches 2027: no data
    assert "2027" in summary["calendar_warning"]
    assert "没有 2027 年的节假日与调休数据" in body_for(recipient=center_user)


def test_the_center_email_carries_the_bulletin_pdf_when_reports_provides_it(center_user, monkeypatch):
    weekly_alert(as_of=AS_OF)
    row = weekly().get(recipient=center_user, channel=Channel.EMAIL)
    fake = types.ModuleType("reports.bulletin")
    fake.bulletin_pdf = lambda *, as_of: b"%PDF-1.4 fake " + as_of.isoformat().encode()
    monkeypatch.setitem(sys.modules, "reports.bulletin", fake)
    assert deliver(notification_id=row.pk).status == "sent"
    [message] = mail.outbox
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("重大项目周报-20260629.pdf", "application/pdf")
    assert content.endswith(b"2026-06-29")


def test_the_center_email_goes_without_the_pdf_when_the_bulletin_is_not_there(center_user, monkeypatch):
    weekly_alert(as_of=AS_OF)
    row = weekly().get(recipient=center_user, channel=Channel.EMAIL)
    monkeypatch.setitem(sys.modules, "reports.bulletin", None)  # import fails
    assert deliver(notification_id=row.pk).status == "sent"
    assert mail.outbox[0].attachments == []


def build(n, leader, unit):
    for i in range(n):
        project = ProjectFactory(
            contact_leader=leader, responsible_unit=unit,
            planned={"land": AS_OF - datetime.timedelta(days=i + 1), "start": AS_OF + datetime.timedelta(days=i % 14),
                     "statistics": D(2030, 1, 1), "production": D(2031, 1, 1)},
        )
        ProblemFactory(project=project, raised_on=AS_OF - datetime.timedelta(days=20), reply_by=AS_OF)


def test_the_query_count_does_not_grow_with_the_number_of_projects(center_user, land_user):
    leader = LeaderFactory(user=UserFactory(username="leader2", email="l@example.com", role=Role.LEADER))
    unit = UnitFactory(name="丙单位")
    UserFactory(username="bing", role=Role.UNIT, role__unit=unit)
    build(3, leader, unit)
    weekly_alert(as_of=AS_OF, dry_run=True)  # the calendar is read once per process, then cached
    with CaptureQueriesContext(connection) as few:
        weekly_alert(as_of=AS_OF, dry_run=True)
    build(30, leader, unit)
    with CaptureQueriesContext(connection) as many:
        summary = weekly_alert(as_of=AS_OF, dry_run=True)
    assert summary["overdue_nodes"] == 33
    assert len(many.captured_queries) == len(few.captured_queries) <= 15


def test_the_command_sends_and_a_second_run_sends_nothing_new(center_user):
    out = StringIO()
    call_command("send_weekly_alert", "--as-of", "2026-06-29", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2
    out = StringIO()
    call_command("send_weekly_alert", "--as-of", "2026-06-30", stdout=out)
    assert json.loads(out.getvalue())["created"] == 0
    out = StringIO()
    call_command("send_weekly_alert", "--as-of", "2026-07-06", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2
    assert weekly().count() == 2


def test_a_user_who_is_a_units_member_and_a_leaders_login_gets_both_alerts(land_unit):
    user = UserFactory(username="both", role=Role.UNIT, role__unit=land_unit)
    leader = LeaderFactory(name="兼职领导", user=user)
    ProjectFactory(contact_leader=leader, planned={"land": AS_OF - datetime.timedelta(days=3), **FAR})
    weekly_alert(as_of=AS_OF)
    assert weekly().filter(recipient=user, channel=Channel.INBOX).count() == 2
