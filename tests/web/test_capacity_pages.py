"""Section 10 on the pages: the six-node timeline, the 达产 transition and the 达产复核 form."""

import datetime
import re

import pytest
from django.urls import reverse

from projects.models import Status
from tests.factories import ProjectFactory

from .conftest import login

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_project_page_timeline_shows_six_nodes_ending_with_capacity(client, center_user, project_a):
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-A"])).content.decode()
    timeline = body.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert re.findall(r'data-node="(\w+)"', timeline) == ["sign", "land", "start", "statistics", "production",
                                                          "capacity"]
    assert "达产" in timeline


def test_an_in_production_project_offers_reach_capacity_to_the_center(client, center_user, unit_a):
    ProjectFactory(code="SZ-P", responsible_unit=unit_a, status=Status.IN_PRODUCTION,
                   actual={"production": D(2025, 1, 1)}, last_event_date=D(2025, 1, 1))
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-P"])).content.decode()
    assert 'data-testid="transition-reach_capacity"' in body


# --- the 标准地 indicators and 达产复核 on the project page ------------------------------------------

from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from projects.models import Project, Role, Unit  # noqa: E402
from tests.factories import PlatformFactory, UserFactory  # noqa: E402

DONE = {"land": D(2024, 2, 1), "start": D(2024, 3, 1), "statistics": D(2024, 4, 1), "production": D(2025, 1, 10)}


def producing(code, unit, **kwargs):
    return ProjectFactory(code=code, responsible_unit=unit, status=Status.IN_PRODUCTION,
                          actual=DONE, last_event_date=D(2025, 1, 10), **kwargs)


def at_capacity(code, unit, **kwargs):
    return ProjectFactory(code=code, responsible_unit=unit, status=Status.AT_CAPACITY,
                          actual={**DONE, "capacity": D(2026, 3, 1)}, last_event_date=D(2026, 3, 1),
                          capacity_reviewed_on=D(2026, 3, 1), **kwargs)


@pytest.fixture
def economy_user(db):
    return UserFactory(username="jingxin", role=Role.UNIT, role__unit=Unit.objects.get(name="市经信局"))


def test_the_edit_form_agrees_indicators(client, center_user, project_a):
    login(client, center_user)
    response = client.get(reverse("project_edit", args=["SZ-A"]))
    page = response.content.decode()
    assert 'data-testid="agreed-indicators"' in page and "约定亩均税收" in page
    data = {"version": response.context["form"]["version"].value(), "name": "甲项目", "investor": "某公司", "total_investment": "20000", "currency": "CNY",
            "is_manufacturing": "True", "cluster": "高端装备", "responsible_unit": project_a.responsible_unit_id,
            "needs_new_land": "on", "land_area": "50", "planned_land": "2026-05-16",
            "agreed_tax_per_mu": "30", "agreed_energy_per_output": "0.08"}
    assert client.post(reverse("project_edit", args=["SZ-A"]), data).status_code == 302
    project_a.refresh_from_db()
    assert (project_a.agreed_tax_per_mu, project_a.agreed_energy_per_output) == (Decimal("30"), Decimal("0.08"))


def test_the_edit_form_refuses_per_mu_indicators_without_a_land_area(client, center_user, project_a):
    login(client, center_user)
    version = client.get(reverse("project_edit", args=["SZ-A"])).context["form"]["version"].value()
    data = {"version": version, "name": "甲项目", "investor": "某公司", "total_investment": "20000", "currency": "CNY",
            "is_manufacturing": "True", "cluster": "高端装备", "responsible_unit": project_a.responsible_unit_id,
            "land_area": "", "agreed_output_per_mu": "500"}
    response = client.post(reverse("project_edit", args=["SZ-A"]), data)
    assert response.status_code == 400
    assert "不能约定按亩计算的指标：亩均产值" in response.content.decode()


def test_the_project_page_shows_each_agreed_indicator_against_the_review(client, center_user, unit_a):
    at_capacity("SZ-C", unit_a, agreed_tax_per_mu=Decimal("40"), actual_yearly_tax=Decimal("1500"))
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-C"])).content.decode()
    card = body.split('data-testid="capacity"')[1].split("</section>")[0]
    assert "未达标" in card and 'data-indicator="tax_per_mu"' in card and "-25.0%" in card


def test_the_center_records_the_capacity_review_on_the_project_page(client, center_user, unit_a):
    project = producing("SZ-P", unit_a, agreed_plot_ratio=Decimal("1.2"))
    login(client, center_user)
    assert 'data-testid="capacity-review"' in client.get(reverse("project_detail", args=["SZ-P"])).content.decode()
    response = client.post(reverse("project_capacity_review", args=["SZ-P"]),
                           {"review-reviewed_on": "2026-06-20", "review-actual_plot_ratio": "1.3"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.actual_plot_ratio, project.capacity_reviewed_on) == (Decimal("1.3"), D(2026, 6, 20))


def test_a_review_dated_in_the_future_comes_back_with_a_chinese_message(client, center_user, unit_a):
    producing("SZ-P", unit_a, agreed_plot_ratio=Decimal("1.2"))
    login(client, center_user)
    response = client.post(reverse("project_capacity_review", args=["SZ-P"]),
                           {"review-reviewed_on": "2026-07-20", "review-actual_plot_ratio": "1.3"})
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()


def test_the_capacity_nodes_unit_records_the_review_and_another_unit_cannot(client, economy_user, unit_user, unit_a):
    producing("SZ-P", unit_a, agreed_plot_ratio=Decimal("1.2"))
    url = reverse("project_capacity_review", args=["SZ-P"])
    data = {"review-reviewed_on": "2026-06-20", "review-actual_plot_ratio": "1.3"}
    assert login(client, economy_user).post(url, data).status_code == 302
    assert login(client, unit_user).post(url, data).status_code == 404  # its project, not its node


def test_the_reach_capacity_form_asks_for_the_review_values(client, center_user, unit_a):
    project = producing("SZ-P", unit_a, agreed_plot_ratio=Decimal("1.2"))
    login(client, center_user)
    url = reverse("project_transition", args=["SZ-P", "reach_capacity"])
    response = client.post(url, {"reach_capacity-effective_date": "2026-06-01"})
    assert response.status_code == 400 and "达产前须先完成达产复核" in response.content.decode()
    response = client.post(url, {"reach_capacity-effective_date": "2026-06-01",
                                 "reach_capacity-actual_plot_ratio": "1.25"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Status.AT_CAPACITY


# --- the 标准地达产 page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["center_user", "leader_user", "unit_user", "land_user", "admin_user"])
def test_every_role_sees_the_compliance_page(client, request, role, unit_a, unit_b):
    producing("SZ-A1", unit_a, agreed_plot_ratio=Decimal("1.2"))
    producing("SZ-B1", unit_b, agreed_plot_ratio=Decimal("1.2"))
    body = login(client, request.getfixturevalue(role)).get(reverse("compliance")).content.decode()
    assert "标准地达产复核" in body and 'data-testid="mu-ranking"' in body
    # A unit sees the projects in its scope: unit A its own, 自然资源局 those whose land node it owns.
    assert "SZ-A1" in body
    assert ("SZ-B1" in body) is (role != "unit_user")
    assert ("compliance.pdf" in body) is (role not in ("unit_user", "land_user"))


def test_the_compliance_page_filters_by_verdict(client, center_user, unit_a):
    at_capacity("GOOD", unit_a, agreed_plot_ratio=Decimal("1.2"), actual_plot_ratio=Decimal("1.5"))
    at_capacity("BAD", unit_a, agreed_plot_ratio=Decimal("1.2"), actual_plot_ratio=Decimal("1.0"))
    body = login(client, center_user).get(reverse("compliance") + "?verdict=not_met").content.decode()
    table = body.split('data-testid="compliance-projects"')[1].split("</table>")[0]
    assert "BAD" in table and "GOOD" not in table


def test_the_compliance_downloads_are_for_report_roles(client, center_user, unit_user):
    login(client, center_user)
    for fmt in ("pdf", "xlsx"):
        assert client.get(reverse("report_download", args=["compliance", fmt]) + "?as_of=2026-06-30").status_code == 200
    assert login(client, unit_user).get(reverse("report_download", args=["compliance", "pdf"])).status_code == 404


@pytest.mark.parametrize("role", ["center_user", "unit_user"])
def test_the_compliance_page_query_count_does_not_grow_with_projects(client, request, role, unit_a):
    platform = PlatformFactory(name="嵊州经济开发区")
    login(client, request.getfixturevalue(role))

    def add(n, start):
        for i in range(n):
            at_capacity(f"C{start + i:03d}", unit_a, platform=platform, agreed_tax_per_mu=Decimal("10"),
                        actual_yearly_tax=Decimal("600"))
            producing(f"P{start + i:03d}", unit_a, agreed_plot_ratio=Decimal("1.1"))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("compliance")).status_code == 200
        return len(ctx.captured_queries)

    add(3, 0)
    few = count()
    add(30, 100)
    assert count() == few
    assert Project.objects.count() == 66
