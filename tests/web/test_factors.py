"""The 要素保障 page (DOMAIN.md section 11): scope per role, recording what was secured, the needed-by
date, and query counts that do not grow with the number of projects."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones import factor_services
from milestones.factor_selectors import report_factors
from milestones.models import FactorNeed
from projects.models import Role, Unit
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def energy_user(db):
    return UserFactory(username="fgj", role=Role.UNIT, role__unit=Unit.objects.get(name="市发改局"))


@pytest.fixture
def needs(project_a, project_b):
    """Project A needs land (overdue: its land node is 45 days late) and energy; project B needs funds."""
    land = factor_services.need_set(project=project_a, factor_type="land", needed=50)
    energy = factor_services.need_set(project=project_a, factor_type="energy", needed=3000)
    funds = factor_services.need_set(project=project_b, factor_type="funds", needed=8000)
    return {"land": land, "energy": energy, "funds": funds}


def rows(response):
    return {(n.project.code, n.factor_type) for n in response.context["page"]}


def test_the_center_sees_every_need_and_the_totals_per_type(client, center_user, needs):
    client.force_login(center_user)
    response = client.get(reverse("factor_list"))
    assert rows(response) == {("SZ-A", "land"), ("SZ-A", "energy"), ("SZ-B", "funds")}
    cards = {c["type"]: (c["needed"], c["secured"]) for c in response.context["cards"]}
    assert cards == {"land": (50, 0), "energy": (3000, 0), "funds": (8000, 0)}
    assert "逾期未保障" in response.content.decode()


def test_a_leader_sees_every_need_but_records_nothing(client, leader_user, needs):
    client.force_login(leader_user)
    response = client.get(reverse("factor_list"))
    assert len(rows(response)) == 3
    assert "登记保障" not in response.content.decode()
    post = client.post(reverse("factor_secure", args=[needs["land"].pk]),
                       {"amount": "5", "secured_on": "2026-06-30", "document": "x"})
    assert post.status_code == 404


def test_a_types_unit_sees_the_needs_it_answers_for_on_any_project(client, energy_user, needs):
    client.force_login(energy_user)
    assert rows(client.get(reverse("factor_list"))) == {("SZ-A", "energy")}


def test_a_projects_unit_sees_its_projects_needs_only(client, unit_user, needs):
    client.force_login(unit_user)
    assert rows(client.get(reverse("factor_list"))) == {("SZ-A", "land"), ("SZ-A", "energy")}


def test_the_responsible_unit_records_an_increase_with_its_document(client, land_user, needs):
    client.force_login(land_user)
    response = client.post(reverse("factor_secure", args=[needs["land"].pk]),
                           {"amount": "20.5", "secured_on": "2026-06-29", "document": "嵊土批〔2026〕8号"}, follow=True)
    assert "已登记" in response.content.decode()
    need = FactorNeed.objects.get(pk=needs["land"].pk)
    assert need.secured == 20.5
    [record] = need.records.all()
    assert (record.by, record.document, record.secured_on) == (land_user, "嵊土批〔2026〕8号", D(2026, 6, 29))


def test_another_unit_cannot_record_on_a_need_it_does_not_answer_for(client, unit_user, needs):
    client.force_login(unit_user)  # sees project A's land need, but 自然资源局 answers for it
    response = client.post(reverse("factor_secure", args=[needs["land"].pk]),
                           {"amount": "5", "secured_on": "2026-06-30", "document": "x"})
    assert response.status_code == 404
    assert not FactorNeed.objects.get(pk=needs["land"].pk).records.exists()


def test_a_bad_increase_is_refused_in_chinese_not_a_500(client, center_user, needs):
    client.force_login(center_user)
    response = client.post(reverse("factor_secure", args=[needs["land"].pk]),
                           {"amount": "5", "secured_on": "2026-07-30", "document": "文件"}, follow=True)
    assert response.status_code == 200
    assert "不能晚于今天" in response.content.decode()


def test_the_center_sets_a_needed_by_date_and_a_unit_cannot(client, center_user, land_user, needs):
    client.force_login(land_user)
    url = reverse("factor_needed_by", args=[needs["land"].pk])
    assert client.post(url, {"needed_by": "2026-12-31"}).status_code == 404
    client.force_login(center_user)
    client.post(url, {"needed_by": "2026-12-31"})
    assert FactorNeed.objects.get(pk=needs["land"].pk).needed_by_set == D(2026, 12, 31)


def test_the_center_states_a_need_by_project_code(client, center_user, project_b):
    client.force_login(center_user)
    client.post(reverse("factor_need_set"), {"code": "SZ-B", "factor_type": "energy", "needed": "1200"})
    need = FactorNeed.objects.get(project=project_b, factor_type="energy")
    assert (need.needed, need.responsible_unit.name) == (1200, "市发改局")
    response = client.post(reverse("factor_need_set"), {"code": "NOPE", "factor_type": "energy", "needed": "1"},
                           follow=True)
    assert "找不到项目编号" in response.content.decode()


def test_the_filters_narrow_by_status_type_and_search(client, center_user, needs):
    client.force_login(center_user)
    assert rows(client.get(reverse("factor_list") + "?status=overdue")) == {("SZ-A", "land")}
    assert rows(client.get(reverse("factor_list") + "?type=funds")) == {("SZ-B", "funds")}
    assert rows(client.get(reverse("factor_list") + "?q=乙")) == {("SZ-B", "funds")}


def test_the_factor_report_downloads_as_pdf_and_xlsx(client, center_user, needs):
    client.force_login(center_user)
    assert client.get(reverse("report_download", args=["factors", "pdf"])).content.startswith(b"%PDF")
    assert client.get(reverse("report_download", args=["factors", "xlsx"])).content.startswith(b"PK")


# --- query counts -----------------------------------------------------------------------------------


def _add(n, unit):
    for i in range(n):
        project = ProjectFactory(code=f"F{i:03d}", responsible_unit=unit, signing_date=D(2025, 10, 1))
        for factor_type in ("land", "energy", "funds"):
            need = factor_services.need_set(project=project, factor_type=factor_type, needed=100)
            factor_services.need_record_secured(need=need, amount=10, secured_on=D(2026, 6, 1), document="文件")


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["center_user", "leader_user", "land_user", "unit_user"])
def test_the_factor_page_queries_do_not_grow_with_projects(client, request, role, unit_a):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse("factor_list")
    _add(3, unit_a)
    few = _count(lambda: client.get(url))
    _add(30, unit_a)
    assert _count(lambda: client.get(url)) == few


def test_report_factors_queries_do_not_grow_with_projects(unit_a):
    _add(3, unit_a)
    few = _count(lambda: report_factors(as_of=D(2026, 6, 30)))
    _add(30, unit_a)
    assert _count(lambda: report_factors(as_of=D(2026, 6, 30))) == few == 2
