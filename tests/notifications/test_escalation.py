"""DOMAIN.md section 7a (a node turning red is escalated once, at once, to its contact leader and
the investment center) and section 7 (a problem past its reply-by date is reminded to its unit)."""

import datetime

import pytest

from milestones.models import Node
from notifications.models import Channel, Kind, Notification
from notifications.services import escalate_overdue, remind_overdue_problems
from projects.models import Role
from projects.services import problem_reply, project_update
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UserFactory

D = datetime.date
AS_OF = D(2026, 6, 30)
FAR = {"start": D(2030, 1, 1), "statistics": D(2030, 2, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


def days_before(n):
    return AS_OF - datetime.timedelta(days=n)


@pytest.fixture
def leader_user():
    user = UserFactory(username="lingdao", email="leader@example.com", role=Role.LEADER)
    LeaderFactory(name="李副市长", user=user)
    return user


def escalations():
    return Notification.objects.filter(kind=Kind.ESCALATION)


def test_a_node_overdue_by_thirty_days_is_not_escalated(leader_user, center_user):
    ProjectFactory(contact_leader=leader_user.leader, planned={"land": days_before(30), **FAR})
    assert escalate_overdue(as_of=AS_OF).created == 0


def test_a_node_that_turns_red_goes_to_the_contact_leader_and_the_center_once(leader_user, center_user):
    project = ProjectFactory(contact_leader=leader_user.leader, planned={"land": days_before(31), **FAR})
    assert escalate_overdue(as_of=AS_OF).created == 4  # inbox + e-mail, for each of the two
    assert {(r.recipient, r.channel) for r in escalations()} == {
        (leader_user, Channel.INBOX), (leader_user, Channel.EMAIL),
        (center_user, Channel.INBOX), (center_user, Channel.EMAIL),
    }
    assert "已逾期 31 天" in escalations().first().subject
    assert project.nodes.get(node_type="land").escalated_on == AS_OF
    assert escalate_overdue(as_of=AS_OF).created == 0
    assert escalate_overdue(as_of=AS_OF + datetime.timedelta(days=1)).created == 0


def test_a_leader_whose_login_is_also_center_staff_gets_the_escalation_once(center_unit):
    user = UserFactory(username="both", email="both@example.com", role=Role.CENTER, role__unit=center_unit)
    leader = LeaderFactory(name="兼任领导", user=user)
    ProjectFactory(contact_leader=leader, planned={"land": days_before(31), **FAR})
    assert escalate_overdue(as_of=AS_OF).created == 2
    assert sorted(escalations().values_list("recipient", "channel")) == [
        (user.pk, Channel.EMAIL), (user.pk, Channel.INBOX)
    ]


def test_a_project_without_a_contact_leader_is_escalated_to_the_center(center_user):
    ProjectFactory(planned={"land": days_before(40), **FAR})
    escalate_overdue(as_of=AS_OF)
    assert {r.recipient for r in escalations()} == {center_user}


def test_an_edit_that_makes_a_node_red_escalates_at_that_moment(travel, leader_user, center_user):
    travel(AS_OF)
    project = ProjectFactory(contact_leader=leader_user.leader, planned={"land": AS_OF + datetime.timedelta(days=60),
                                                                         **FAR})
    project_update(project=project, planned_dates={"land": days_before(45)})
    assert escalations().count() == 4


def test_a_re_planned_node_that_turns_red_again_is_escalated_again(center_user):
    project = ProjectFactory(planned={"land": days_before(31), **FAR})
    escalate_overdue(as_of=AS_OF)
    node = project.nodes.get(node_type="land")
    # The date is moved later; weeks on, the new date is more than 30 days past too.
    Node.objects.filter(pk=node.pk).update(planned_date=AS_OF + datetime.timedelta(days=10))
    later = AS_OF + datetime.timedelta(days=41)
    assert escalate_overdue(as_of=later - datetime.timedelta(days=1)).created == 0
    assert escalate_overdue(as_of=later).created == 2
    # A date moved earlier, still red, is not escalated again.
    Node.objects.filter(pk=node.pk).update(planned_date=AS_OF - datetime.timedelta(days=100))
    assert escalate_overdue(as_of=later).created == 0


def test_the_escalation_query_count_is_fixed(center_user, django_assert_max_num_queries):
    for _ in range(10):
        ProjectFactory(contact_leader=LeaderFactory(), planned={"land": days_before(40), **FAR})
    with django_assert_max_num_queries(9):  # savepoint, nodes, directory (3), keys, insert, update, release
        assert escalate_overdue(as_of=AS_OF).created == 30  # leader inbox (no login) + center inbox, e-mail


def problems():
    return Notification.objects.filter(kind=Kind.PROBLEM)


def test_a_problem_past_its_reply_by_date_without_a_reply_is_reminded_to_its_unit_once(land_unit, land_user):
    project = ProjectFactory(planned={"land": AS_OF, **FAR})
    ProblemFactory(project=project, assigned_unit=land_unit, raised_on=days_before(10), reply_by=days_before(1))
    ProblemFactory(project=project, assigned_unit=land_unit, raised_on=days_before(7), reply_by=AS_OF)
    assert remind_overdue_problems(as_of=AS_OF).created == 2  # inbox + e-mail for the first only
    assert {r.recipient for r in problems()} == {land_user}
    assert remind_overdue_problems(as_of=AS_OF + datetime.timedelta(days=1)).created == 2  # the second, now late
    assert remind_overdue_problems(as_of=AS_OF + datetime.timedelta(days=2)).created == 0


def test_a_replied_problem_is_not_reminded(land_unit, land_user):
    problem = ProblemFactory(assigned_unit=land_unit, raised_on=days_before(10), reply_by=days_before(1))
    problem_reply(problem=problem, reply="已协调", replied_on=days_before(1))
    assert remind_overdue_problems(as_of=AS_OF).created == 0
