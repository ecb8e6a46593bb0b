"""Issue 9 section 3: entering a deal without inventing codes, without silent duplicates, and
without the small slips (placeholders, doubled labels, stale banners)."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from projects import selectors
from projects.models import Project, Status
from tests.factories import LeaderFactory, ProjectFactory

from .conftest import login

pytestmark = pytest.mark.django_db

DEAL = {
    "name": "新能源电池项目", "investor": "某某科技", "total_investment": "150000", "currency": "CNY",
    "is_manufacturing": "true", "cluster": "新能源汽车及零部件", "source": "外引", "channel": "产业链招商",
    "needs_new_land": "on", "land_area": "120",
}


def test_the_next_code_follows_the_highest_in_use_whatever_the_state():
    ProjectFactory(code="SZ2026-030", status=Status.SIGNED)
    ProjectFactory(code="SZ2026-033", status=Status.TERMINATED)
    ProjectFactory(code="SZ2026-031", status=Status.NEGOTIATING)
    ProjectFactory(code="SZ2025-090")
    ProjectFactory(code="SZ2026-ABC")
    assert selectors.next_project_code(year=2026) == "SZ2026-034"
    assert selectors.next_project_code(year=2027) == "SZ2027-001"


@override_settings(PROJECT_CODE_PREFIX="HX")
def test_the_code_prefix_is_configurable():
    ProjectFactory(code="HX2026-007")
    assert selectors.next_project_code(year=2026) == "HX2026-008"


def test_the_new_deal_form_proposes_the_next_free_code(client, center_user):
    ProjectFactory(code="SZ2026-033", status=Status.NEGOTIATING)
    page = login(client, center_user).get(reverse("project_new"))
    assert page.context["form"]["code"].value() == "SZ2026-034"
    assert "下一个可用编号" in page.content.decode()


def test_a_taken_code_says_by_which_project_and_what_is_free(client, center_user):
    ProjectFactory(code="SZ2026-031", name="某在谈项目", status=Status.NEGOTIATING)
    response = login(client, center_user).post(reverse("project_new"), {**DEAL, "code": "SZ2026-031"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "项目编号 SZ2026-031 已被「某在谈项目」（在谈）使用" in text
    assert "SZ2026-032" in text
    assert "具有 项目编号 的 项目 已存在" not in text


def test_a_likely_duplicate_is_shown_and_saved_only_when_confirmed(client, center_user):
    ProjectFactory(code="SZ2026-001", name="新能源电池项目", investor="某某科技")
    login(client, center_user)
    warned = client.post(reverse("project_new"), {**DEAL, "code": "SZ2026-002"})
    assert warned.status_code == 200
    assert "可能重复录入" in warned.content.decode()
    assert not Project.objects.filter(code="SZ2026-002").exists()

    saved = client.post(reverse("project_new"), {**DEAL, "code": "SZ2026-002", "confirm_duplicate": "1"})
    assert saved.status_code == 302
    assert Project.objects.filter(code="SZ2026-002").exists()


def test_every_select_of_the_deal_form_has_the_same_placeholder(client, center_user):
    text = login(client, center_user).get(reverse("project_new")).content.decode()
    assert "---------" not in text
    assert ">未知<" not in text
    assert text.count("（未填写）") >= 6


def test_the_statistics_code_is_marked_required_on_the_entry_form(client, center_user):
    project = ProjectFactory(code="SZ-S", status=Status.STARTED, actual={"land": datetime.date(2026, 3, 1),
                                                                      "start": datetime.date(2026, 4, 1)})
    page = login(client, center_user).get(reverse("project_detail", args=[project.code])).content.decode()
    form = page[page.index('data-testid="transition-form-enter_statistics"'):]
    assert 'name="enter_statistics-stats_code"' in form
    field = form[form.index('name="enter_statistics-stats_code"') - 200:form.index('name="enter_statistics-stats_code"') + 80]
    assert "required" in field


def test_a_refused_transition_by_htmx_clears_the_old_success_banner(client, center_user):
    project = ProjectFactory(code="SZ-S", status=Status.STARTED, actual={"land": datetime.date(2026, 3, 1),
                                                                      "start": datetime.date(2026, 4, 1)})
    response = login(client, center_user).post(
        reverse("project_transition", args=[project.code, "enter_statistics"]),
        {"enter_statistics-effective_date": "2026-06-01", "enter_statistics-expected_status": "started"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert 'id="messages" hx-swap-oob="true"' in text


def test_a_leader_whose_name_is_the_title_is_not_doubled(client, center_user):
    LeaderFactory(name="市长", title="市长")
    text = login(client, center_user).get(reverse("reports")).content.decode()
    assert "市长（市长）" not in text


def test_the_total_investment_is_not_repeated_when_it_is_under_one_yi(client, center_user):
    project = ProjectFactory(code="SZ-9000", total_investment=9000)
    text = login(client, center_user).get(reverse("project_detail", args=[project.code])).content.decode()
    assert "9000万元（9000万元）" not in text
    big = ProjectFactory(code="SZ-12", total_investment=125000)
    assert "12.5亿元" in client.get(reverse("project_detail", args=[big.code])).content.decode()


def test_the_10yi_card_names_the_projects(client, center_user):
    ProjectFactory(code="SZ2026-100", name="百亿级新材料基地", total_investment=200000,
                   signing_date=datetime.date(2026, 3, 1))
    text = login(client, center_user).get(reverse("dashboard")).content.decode()
    card = text[text.index('data-testid="kpi-1b"'):]
    card = card[:card.index("</section>")]
    assert "百亿级新材料基地" in card and "SZ2026-100" not in card


def test_every_page_links_a_favicon(client, center_user):
    assert 'rel="icon"' in login(client, center_user).get(reverse("dashboard")).content.decode()
