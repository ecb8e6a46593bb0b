"""Issue 9 section 1: each step of the problem loop (DOMAIN.md section 7) reaches the next person,
on their channels, through the outbox, once."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Channel, Kind, Notification
from projects import services
from projects.models import Role
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def loop(travel, center_user):
    travel(TODAY)
    unit = UnitFactory(name="市经信局")  # seeded by the migrations: get_or_create ignores other fields
    unit.webhook_url, unit.email = "http://robot.example/send", "jx@example.com"
    unit.save()
    unit_user = UserFactory(username="jingxin", email="jx-staff@example.com", role=Role.UNIT, role__unit=unit)
    leader_user = UserFactory(username="leader", email="ld@example.com", role=Role.LEADER)
    leader = LeaderFactory(name="常务副市长", user=leader_user)
    project = ProjectFactory(contact_leader=leader, responsible_unit=UnitFactory(name="市发改局"))
    problem = ProblemFactory(project=project, raised_on=TODAY, assigned_unit=None)
    return {"unit": unit, "unit_user": unit_user, "leader": leader, "leader_user": leader_user,
            "problem": problem, "center_user": center_user}


def rows(kind, **filters):
    return Notification.objects.filter(kind=kind, **filters)


def test_assigning_a_problem_reaches_the_unit_on_inbox_email_and_robot(loop):
    services.problem_assign(problem=loop["problem"], unit=loop["unit"], reply_by=TODAY + datetime.timedelta(days=5))

    sent = rows(Kind.PROBLEM_ASSIGNED)
    assert set(sent.values_list("channel", flat=True)) == {Channel.INBOX, Channel.EMAIL, Channel.WEBHOOK}
    inbox = sent.get(channel=Channel.INBOX)
    assert inbox.recipient == loop["unit_user"]
    assert "2026-03-15" in inbox.subject
    assert inbox.problem == loop["problem"]


def test_assigning_again_to_the_same_unit_and_date_sends_nothing_new(loop):
    reply_by = TODAY + datetime.timedelta(days=5)
    services.problem_assign(problem=loop["problem"], unit=loop["unit"], reply_by=reply_by)
    count = Notification.objects.count()
    services.problem_assign(problem=loop["problem"], unit=loop["unit"], reply_by=reply_by)
    assert Notification.objects.count() == count


def test_a_reply_by_date_before_today_is_refused(loop):
    with pytest.raises(ValidationError) as refused:
        services.problem_assign(problem=loop["problem"], unit=loop["unit"], reply_by=TODAY - datetime.timedelta(days=1))
    assert "不能早于今天" in str(refused.value)
    loop["problem"].refresh_from_db()
    assert loop["problem"].assigned_unit is None
    assert not rows(Kind.PROBLEM_ASSIGNED).exists()


def test_raising_a_problem_with_a_past_reply_by_date_is_refused(loop):
    with pytest.raises(ValidationError):
        services.problem_raise(project=loop["problem"].project, category="land", description="x",
                               assigned_unit=loop["unit"], reply_by=TODAY - datetime.timedelta(days=1))


def test_raising_a_problem_assigns_it_and_tells_the_unit(loop):
    problem = services.problem_raise(project=loop["problem"].project, user=loop["center_user"], category="land",
                                     description="用地指标未落实", assigned_unit=loop["unit"])
    assert rows(Kind.PROBLEM_ASSIGNED, problem=problem, recipient=loop["unit_user"], channel=Channel.INBOX).count() == 1


def test_a_unit_raising_a_problem_for_itself_is_not_told_about_it(loop):
    project = ProjectFactory(responsible_unit=loop["unit"])
    services.problem_raise(project=project, user=loop["unit_user"], category="land", description="x")
    assert not rows(Kind.PROBLEM_ASSIGNED).exists()


def test_a_reply_reaches_the_center_and_the_contact_leader(loop):
    problem = loop["problem"]
    services.problem_assign(problem=problem, unit=loop["unit"])
    services.problem_reply(problem=problem, reply="已对接企业")

    recipients = set(rows(Kind.PROBLEM_REPLIED, channel=Channel.INBOX).values_list("recipient__username", flat=True))
    assert recipients == {"zhaoshang", "leader"}
    assert "已对接企业" in rows(Kind.PROBLEM_REPLIED).first().body


def test_a_second_reply_is_sent_too_but_the_same_reply_only_once(loop):
    problem = loop["problem"]
    services.problem_reply(problem=problem, reply="第一次答复")
    services.problem_reply(problem=problem, reply="第二次答复")
    services.problem_reply(problem=problem, reply="第二次答复")
    assert rows(Kind.PROBLEM_REPLIED, channel=Channel.INBOX, recipient=loop["leader_user"]).count() == 2


def test_an_instruction_reaches_the_assigned_unit_and_the_center(loop):
    problem = loop["problem"]
    services.problem_assign(problem=problem, unit=loop["unit"])
    services.problem_instruct(problem=problem, leader=loop["leader"], text="请抓紧协调", user=loop["leader_user"])

    sent = rows(Kind.INSTRUCTION, channel=Channel.INBOX)
    assert set(sent.values_list("recipient__username", flat=True)) == {"zhaoshang", "jingxin"}
    assert rows(Kind.INSTRUCTION, channel=Channel.WEBHOOK, unit=loop["unit"]).count() == 1
    assert "请抓紧协调" in sent.first().body


def test_resolving_tells_the_leaders_who_gave_an_instruction(loop):
    problem = loop["problem"]
    other = LeaderFactory(name="副市长乙")
    services.problem_instruct(problem=problem, leader=loop["leader"], text="一", user=loop["leader_user"])
    services.problem_instruct(problem=problem, leader=loop["leader"], text="二", user=loop["leader_user"])
    services.problem_instruct(problem=problem, leader=other, text="三")
    services.problem_resolve(problem=problem, resolution="已供地")

    resolved = rows(Kind.PROBLEM_RESOLVED, channel=Channel.INBOX)
    assert resolved.filter(recipient=loop["leader_user"]).count() == 1
    # A leader without a login gets a leader-level row, shown to the account linked later.
    assert resolved.filter(recipient__isnull=True, leader=other).count() == 1


def test_resolving_without_an_instruction_tells_no_leader(loop):
    services.problem_resolve(problem=loop["problem"], resolution="已解决")
    assert not rows(Kind.PROBLEM_RESOLVED).exists()


def test_each_step_is_queued_for_delivery_only_after_commit(loop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.problem_assign(problem=loop["problem"], unit=loop["unit"])
    assert callbacks, "the e-mail and robot rows are enqueued on commit"
    assert rows(Kind.PROBLEM_ASSIGNED, channel=Channel.EMAIL).get(recipient=loop["unit_user"]).status == "pending"
