"""Issue 9 section 2: each role starts on its own work."""

import datetime

import pytest
from django.urls import reverse

from milestones.models import Node
from notifications.models import Channel, DeliveryStatus, Kind, Notification
from projects import services
from projects.models import Instruction, Role
from tests.factories import ProblemFactory, ProjectFactory, UserFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_unit_user(db):
    """市经信局 owns every project's 投产 node by the seeded rule, so it may see every project."""
    from projects.models import Unit

    return UserFactory(username="jingxin", role=Role.UNIT, role__unit=Unit.objects.get(name="市经信局"))


@pytest.fixture
def city(project_a, project_b, unit_b):
    """Unit B's far-off project whose 投产 node 经信局 owns, and one whose 投产 is due in a week."""
    ProjectFactory(code="SZ-FAR", name="远期项目", responsible_unit=unit_b, signing_date=datetime.date(2026, 6, 1),
                   planned={"production": datetime.date(2027, 12, 1)})
    ProjectFactory(code="SZ-SOON", name="将投产项目", responsible_unit=unit_b, signing_date=datetime.date(2026, 1, 1),
                   status="in_statistics", planned={"production": TODAY + datetime.timedelta(days=7)},
                   actual={"land": datetime.date(2026, 2, 1), "start": datetime.date(2026, 3, 1),
                           "statistics": datetime.date(2026, 4, 1)})


def codes(response):
    return {p.code for p in response.context["page"]}


def test_a_units_project_list_opens_on_its_own_work(client, production_unit_user, city):
    client.force_login(production_unit_user)
    own = client.get(reverse("project_list"))
    assert codes(own) == {"SZ-SOON"}  # its 投产 node is due within 14 days; the others are not its work yet
    everything = client.get(reverse("project_list") + "?scope=all")
    assert {"SZ-A", "SZ-B", "SZ-FAR", "SZ-SOON"} <= codes(everything)
    assert own.context["scope"]["own"] and not everything.context["scope"]["own"]


def test_a_unit_sees_the_projects_it_is_responsible_for_in_its_own_list(client, unit_user, city):
    client.force_login(unit_user)
    assert codes(client.get(reverse("project_list"))) == {"SZ-A"}


def test_the_scope_switch_is_only_shown_to_units(client, center_user, city):
    client.force_login(center_user)
    response = client.get(reverse("project_list"))
    assert response.context["scope"] is None
    assert "scope-switch" not in response.content.decode()


def test_a_units_problem_list_opens_on_problems_assigned_to_it(client, production_unit_user, unit_b, city):
    jx = production_unit_user.profile.unit
    mine = ProblemFactory(project=city_project("SZ-FAR"), assigned_unit=jx, raised_on=datetime.date(2026, 6, 20))
    other = ProblemFactory(project=city_project("SZ-B"), assigned_unit=unit_b, raised_on=datetime.date(2026, 6, 20))
    client.force_login(production_unit_user)
    assert {p.pk for p in client.get(reverse("problem_list")).context["page"]} == {mine.pk}
    assert {mine.pk, other.pk} <= {p.pk for p in client.get(reverse("problem_list") + "?scope=all").context["page"]}


def city_project(code):
    from projects.models import Project

    return Project.objects.get(code=code)


def test_a_units_dashboard_counts_its_own_nodes(client, land_user, project_a, city):
    client.force_login(land_user)
    response = client.get(reverse("dashboard"))
    assert response.context["own"]
    assert {n.responsible_unit_id for n in response.context["overdue"]} == {land_user.profile.unit_id}
    assert 'data-testid="unit-todo"' in response.content.decode()


def test_my_nodes_groups_by_urgency_and_says_why_each_node_is_the_units(client, production_unit_user, city):
    client.force_login(production_unit_user)
    response = client.get(reverse("my_nodes"))
    groups = {g["kind"]: g for g in response.context["groups"]}
    assert [n.project.code for n in groups["soon"]["nodes"]] == ["SZ-SOON"]
    assert "SZ-FAR" in [n.project.code for n in groups["later"]["nodes"]]
    assert "节点规则：投产节点默认由本单位负责" in response.content.decode()


def test_my_nodes_is_paginated(client, production_unit_user, unit_b):
    for i in range(25):
        ProjectFactory(code=f"P{i:02d}", responsible_unit=unit_b, signing_date=datetime.date(2026, 6, 1))
    client.force_login(production_unit_user)
    first = client.get(reverse("my_nodes"))
    # 市经信局 owns each project's 投产 node and, by default, its 达产 node (section 10).
    assert first.context["page"].paginator.count == 50
    assert len(first.context["page"]) == 20
    assert len(client.get(reverse("my_nodes") + "?page=3").context["page"]) == 10


def test_a_node_owned_as_the_projects_responsible_unit_says_so(client, unit_user, project_a):
    Node.objects.filter(project=project_a, node_type="start").update(responsible_unit=unit_user.profile.unit)
    from milestones.models import DeadlineRule

    DeadlineRule.objects.filter(node_type="start").update(default_unit=None, use_platform_unit=False)
    client.force_login(unit_user)
    assert "本单位是项目的责任单位" in client.get(reverse("my_nodes")).content.decode()


def test_a_leaders_first_screen_starts_with_late_projects_and_problems_awaiting_instruction(
    client, leader_user, leader, project_a, problem_a
):
    green = ProjectFactory(code="SZ-G", name="绿灯项目", contact_leader=leader, signing_date=datetime.date(2026, 6, 1))
    done = ProblemFactory(project=green, raised_on=datetime.date(2026, 6, 1))
    Instruction.objects.create(problem=done, leader=leader, text="已阅")
    client.force_login(leader_user)
    focus = client.get(reverse("dashboard")).context["focus"]
    assert [p.code for p in focus["flagged"]] == ["SZ-A"]
    assert [p.pk for p in focus["awaiting"]] == [problem_a.pk]

    page = client.get(reverse("my_contacts")).content.decode()
    assert page.index("红灯、黄灯项目") < page.index("待您批示的问题") < page.index("其他联系项目")
    assert page.index("SZ-A") < page.index("SZ-G")


def test_a_leaders_cards_show_the_first_ten_most_late_first_and_count_them_all(client, leader_user, leader):
    """Issue 12: a province's leader can have thousands of late contact projects; the dashboard shows
    the first ten, most overdue first, the count of all and the way to the rest."""
    for i in range(12):
        ProjectFactory(code=f"L{i:02d}", contact_leader=leader, signing_date=datetime.date(2025, 11, 1),
                       planned={"land": datetime.date(2026, 6, 1) - datetime.timedelta(days=i)})
    client.force_login(leader_user)
    response = client.get(reverse("dashboard"))
    focus = response.context["focus"]
    assert [p.code for p in focus["flagged"]] == [f"L{i:02d}" for i in range(11, 1, -1)]
    assert focus["flagged_total"] == 12
    assert "查看全部 12 个" in response.content.decode()


def test_the_leader_report_link_downloads_the_pdf(client, leader_user, leader, project_a):
    client.force_login(leader_user)
    page = client.get(reverse("my_contacts")).content.decode()
    url = reverse("report_download", args=["leader", "pdf"]) + f"?leader={leader.pk}"
    assert url in page
    assert client.get(url)["Content-Type"] == "application/pdf"


def test_every_page_has_a_phone_menu_with_the_logged_in_user(client, leader_user):
    client.force_login(leader_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="menu-button"' in page
    assert 'class="who-short">leader<' in page


def test_pausing_a_project_cancels_its_unsent_reminders(center_user, project_a):
    row = Notification.objects.create(kind=Kind.REMINDER, channel=Channel.EMAIL, reason="reminder:x",
                                      recipient_key="unit:1", subject="s", body="b", project=project_a,
                                      address="a@example.com", status=DeliveryStatus.PENDING)
    services.project_transition(project=project_a, name="suspend", user=center_user, effective_date=TODAY,
                                reason="企业资金链问题")
    row.refresh_from_db()
    assert row.status == DeliveryStatus.CANCELLED


def test_the_inbox_marks_escalations_about_paused_projects_and_drops_them_from_unread(
    client, center_user, project_a, project_b
):
    for project in (project_a, project_b):
        Notification.objects.create(kind=Kind.ESCALATION, channel=Channel.INBOX, reason=f"escalation:{project.pk}",
                                    recipient_key="c", recipient=center_user, subject=f"升级 {project.code}",
                                    body="b", project=project, status=DeliveryStatus.SENT)
    services.project_transition(project=project_b, name="terminate", user=center_user, effective_date=TODAY,
                                reason="企业放弃投资")
    client.force_login(center_user)
    unread = client.get(reverse("inbox") + "?show=unread")
    assert [n.project.code for n in unread.context["page"]] == ["SZ-A"]
    everything = client.get(reverse("inbox")).content.decode()
    assert "项目已终止，此提醒已失效" in everything
    assert 'data-testid="unread-count">1<' in everything


def test_a_problems_thread_reads_in_time_order_and_keeps_every_reply(client, center_user, leader, leader_user,
                                                                     problem_a):
    from zoneinfo import ZoneInfo

    import time_machine

    def at(hour):
        return time_machine.travel(datetime.datetime(2026, 6, 30, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                                   tick=False)

    with at(11):
        services.problem_reply(problem=problem_a, reply="第一次答复：已对接")
    with at(12):
        services.problem_instruct(problem=problem_a, leader=leader, text="请加快", user=leader_user)
    with at(13):
        services.problem_reply(problem=problem_a, reply="第二次答复：已落实")
    page = login_page(client, center_user, reverse("project_detail", args=[problem_a.project.code]))
    assert page.index("第一次答复：已对接") < page.index("请加快") < page.index("第二次答复：已落实")


def login_page(client, user, url):
    client.force_login(user)
    return client.get(url).content.decode()


def test_a_reply_recorded_late_stands_by_the_day_it_was_given(client, center_user, leader, leader_user, problem_a):
    services.problem_instruct(problem=problem_a, leader=leader, text="请加快", user=leader_user)
    services.problem_reply(problem=problem_a, reply="前天已电话答复", replied_on=TODAY - datetime.timedelta(days=2))
    page = login_page(client, center_user, reverse("project_detail", args=[problem_a.project.code]))
    assert page.index("前天已电话答复") < page.index("请加快")


def test_the_1330_card_names_the_first_five_10亿_projects_and_counts_them_all(client, center_user):
    """Issue 12: the card named every 10亿 project of the year (3,300 in the province-sized data)."""
    from decimal import Decimal

    for i in range(7):
        ProjectFactory(code=f"B{i}", name=f"十亿项目{i}", total_investment=Decimal("150000"),
                       signing_date=datetime.date(2026, 1, 10 + i))
    client.force_login(center_user)
    response = client.get(reverse("dashboard"))
    assert response.context["names_1b"] == [f"十亿项目{i}" for i in range(5)]
    assert "十亿项目0、十亿项目1、十亿项目2、十亿项目3、十亿项目4 等 7 个" in response.content.decode()
