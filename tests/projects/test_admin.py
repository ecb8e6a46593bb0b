"""Issue 2 item 6: the admin moves a project only through the transition service (guards shown,
history read-only) and corrects it by an audited revert."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Status
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_the_admin_lists_the_transitions_of_the_current_state(admin_client):
    project = ProjectFactory(status=Status.SIGNED)
    body = admin_client.get(reverse("admin:projects_project_transition", args=[project.pk])).content.decode()
    assert "供地" in body and "暂停" in body and "投产" not in body


def test_the_admin_shows_the_guards_message_and_changes_nothing(admin_client):
    project = ProjectFactory(status=Status.SIGNED, land_area=None)
    url = reverse("admin:projects_project_transition_name", args=[project.pk, "acquire_land"])
    response = admin_client.post(url, {"acquire_land-effective_date": "2026-02-01",
                                       "acquire_land-expected_status": "signed"})
    assert response.status_code == 200
    assert "供地前须填写大于 0 的用地面积（亩）" in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.SIGNED


def test_the_admin_records_a_transition_and_reverts_it(admin_client):
    project = ProjectFactory(status=Status.SIGNED, land_area=None)
    url = reverse("admin:projects_project_transition_name", args=[project.pk, "acquire_land"])
    response = admin_client.post(url, {"acquire_land-effective_date": "2026-02-01",
                                       "acquire_land-land_area": "60",
                                       "acquire_land-expected_status": "signed"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.land_area) == (Status.LAND_ACQUIRED, Decimal("60"))
    assert project.nodes.get(node_type="land").actual_date == datetime.date(2026, 2, 1)

    undoes = project.history.get(transition="acquire_land").pk
    admin_client.post(reverse("admin:projects_project_revert", args=[project.pk]), {"reason": "录错", "undoes": undoes})
    project.refresh_from_db()
    assert project.status == Status.SIGNED
    assert list(project.history.values_list("transition", flat=True)) == ["acquire_land", "revert"]


def test_the_history_cannot_be_edited_in_the_admin(admin_client):
    project = ProjectFactory()
    from projects.services import project_transition

    log = project_transition(project=project, name="acquire_land", effective_date=datetime.date(2026, 2, 1))
    response = admin_client.post(reverse("admin:projects_transitionlog_change", args=[log.pk]), {"note": "改"})
    log.refresh_from_db()
    assert log.note == "" and response.status_code in (200, 403)


def test_the_admin_configures_the_capacity_rule(admin_client):
    from milestones.models import DeadlineRule

    body = admin_client.get(reverse("admin:milestones_deadlinerule_changelist")).content.decode()
    assert "达产" in body
    rule = DeadlineRule.objects.get(node_type="capacity")
    assert (rule.after, rule.months, rule.default_unit.name) == ("production", 24, "市经信局")


def test_the_admin_edits_agreed_indicators_and_refuses_per_mu_ones_without_land(admin_client):
    project = ProjectFactory(status=Status.SIGNED, land_area=None, needs_new_land=False)
    page = admin_client.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()
    assert "标准地约定指标" in page and "约定亩均税收" in page
    data = {"code": project.code, "name": project.name, "investor": project.investor, "total_investment": "20000",
            "currency": "CNY", "is_manufacturing": "True", "cluster": "高端装备", "source": "外引",
            "channel": "产业链招商", "responsible_unit": project.responsible_unit_id, "agreed_tax_per_mu": "30",
            **{f"{prefix}-{key}": value for prefix in ("nodes", "problems", "history")
               for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))}}
    response = admin_client.post(reverse("admin:projects_project_change", args=[project.pk]), data)
    assert response.status_code == 200 and "不能约定按亩计算的指标" in response.content.decode()


def test_the_admin_reach_capacity_form_asks_for_the_review_values(admin_client):
    project = ProjectFactory(status=Status.IN_PRODUCTION, agreed_plot_ratio=Decimal("1.2"),
                             actual={"production": datetime.date(2025, 1, 1)}, last_event_date=datetime.date(2025, 1, 1))
    url = reverse("admin:projects_project_transition_name", args=[project.pk, "reach_capacity"])
    assert "实际容积率" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"reach_capacity-effective_date": "2026-02-01",
                                       "reach_capacity-expected_status": "in_production",
                                       "reach_capacity-actual_plot_ratio": "1.4"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Status.AT_CAPACITY and project.actual_plot_ratio == Decimal("1.4")


# --- group robots (issue 10): the 加签 secret is stored, never shown again -----------------------

ROBOT_URL = "https://oapi.dingtalk.com/robot/send?access_token=abc"


def unit_form(unit, **changes):
    data = {"name": unit.name, "email": "", "sort_order": unit.sort_order, "webhook_url": ROBOT_URL,
            "webhook_kind": "dingtalk", "webhook_secret": "", "webhook_keyword": ""}
    data.update(changes)
    return data


def test_the_robots_secret_is_saved_but_never_shown_again(admin_client):
    from projects.models import Unit

    unit = Unit.objects.get(name="市经信局")
    url = reverse("admin:projects_unit_change", args=[unit.pk])
    response = admin_client.post(url, unit_form(unit, webhook_secret="SECabc123", webhook_keyword="重大项目"))
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.webhook_secret, unit.webhook_keyword) == ("SECabc123", "重大项目")
    page = admin_client.get(url).content.decode()
    assert "SECabc123" not in page and "已设置（不显示）" in page
    listing = admin_client.get(reverse("admin:projects_unit_changelist")).content.decode()
    assert "SECabc123" not in listing and "钉钉（加签、关键词）" in listing


def test_saving_the_unit_without_typing_the_secret_keeps_it_and_clearing_removes_it(admin_client):
    from projects.models import Unit

    unit = Unit.objects.get(name="市经信局")
    Unit.objects.filter(pk=unit.pk).update(webhook_url=ROBOT_URL, webhook_secret="SECabc123")
    url = reverse("admin:projects_unit_change", args=[unit.pk])
    assert admin_client.post(url, unit_form(unit, email="jxj@example.com")).status_code == 302
    unit.refresh_from_db()
    assert (unit.email, unit.webhook_secret) == ("jxj@example.com", "SECabc123")
    assert admin_client.post(url, unit_form(unit, clear_webhook_secret="on")).status_code == 302
    unit.refresh_from_db()
    assert unit.webhook_secret == ""


def test_a_leader_can_have_a_robot_in_the_admin(admin_client):
    from projects.models import Leader

    leader = Leader.objects.create(name="市长")
    url = reverse("admin:projects_leader_change", args=[leader.pk])
    data = {"name": "市长", "title": "", "user": "", "sort_order": 100, "webhook_url":
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "webhook_kind": "wecom", "webhook_secret": "",
            "webhook_keyword": ""}
    assert admin_client.post(url, data).status_code == 302
    leader.refresh_from_db()
    assert leader.webhook_kind == "wecom"
