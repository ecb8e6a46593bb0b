"""Issue 8 section 1: bad input gets a clear Chinese 400, never a 500, and never lands in the database.

Each case below was found answering 500 (or storing a value that later broke shared pages) on
PostgreSQL with DEBUG off; docs/DOMAIN.md section 12 states what a value may be.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from milestones.models import Node
from projects.models import Currency, Problem, Project, Status
from tests.factories import ProjectFactory
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

CHINESE = "请"  # every refusal in this product asks the user to do something: 请填写、请检查 …


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    client.raise_request_exception = False
    return client


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def new_deal(**changes):
    body = {"code": "SZ2026-700", "name": "测试项目", "investor": "测试投资方", "total_investment": "20000",
            "currency": "CNY", "is_manufacturing": True, "cluster": "高端装备"}
    body.update(changes)
    return body


def assert_400(response):
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert has_chinese(response.content.decode()), response.content[:500]


# --- 项目编号: what a code may contain ----------------------------------------------------------


@pytest.mark.parametrize("code", ["A/B", "AB\nC", "A B", "SZ?1", "SZ#1", "项目%1", "A\x00B", "", "X" * 33, "..", "a.b"])
def test_the_api_refuses_a_code_that_is_not_letters_digits_dash_underscore(center_user, code):
    response = api(center_user).post("/api/projects/", new_deal(code=code), format="json")
    assert_400(response)
    assert Project.objects.count() == 0


def test_the_new_deal_page_refuses_a_code_with_a_slash(client, center_user):
    login(client, center_user)
    response = client.post(reverse("project_new"), {"code": "WEB/SLASH", "name": "页面项目", "investor": "投资方",
                                                    "currency": "CNY", "needs_new_land": "on"})
    assert response.status_code == 400
    assert "项目编号" in response.content.decode() and Project.objects.count() == 0


def test_shared_pages_stay_up_after_a_refused_code(client, center_user, leader_user, project_a):
    api(center_user).post("/api/projects/", new_deal(code="A/B"), format="json")
    for user, url in [(center_user, "/"), (center_user, "/projects/"), (center_user, "/inbox/"),
                      (leader_user, "/my/contacts/")]:
        login(client, user)
        assert client.get(url).status_code == 200, url


# --- a transition's fields go through the same validation -----------------------------------------


@pytest.fixture
def lead(db, unit_a):
    return ProjectFactory(code="LEAD-1", status=Status.NEGOTIATING, signing_date=None, responsible_unit=unit_a)


@pytest.mark.parametrize("fields", [
    {"currency": "EUR"}, {"cluster": "bogus<b>"}, {"total_investment": "1e30"}, {"total_investment": "NaN"},
    {"total_investment": "-5"}, {"total_investment": "Infinity"}, {"is_manufacturing": "maybe"},
])
def test_sign_fields_are_validated_like_a_form(center_user, lead, fields):
    url = f"/api/projects/{lead.code}/transitions/sign/"
    response = api(center_user).post(url, {"effective_date": "2026-06-01", "fields": fields}, format="json")
    assert_400(response)
    lead.refresh_from_db()
    assert (lead.status, lead.currency, lead.cluster, lead.total_investment) == (
        Status.NEGOTIATING, Currency.CNY, "高端装备", Decimal("20000"))


@pytest.mark.parametrize("name, fields", [
    ("acquire_land", {"land_area": "1e20"}), ("acquire_land", {"land_area": "-1"}),
])
def test_land_area_is_validated_on_acquire_land(center_user, project_a, name, fields):
    response = api(center_user).post(f"/api/projects/{project_a.code}/transitions/{name}/",
                                     {"effective_date": "2026-06-01", "fields": fields}, format="json")
    assert_400(response)
    project_a.refresh_from_db()
    assert project_a.status == Status.SIGNED and project_a.land_area == Decimal("50")


@pytest.mark.parametrize("stats_code", ["X" * 65, "A\x00B", "A\nB"])
def test_stats_code_is_validated_on_enter_statistics(center_user, unit_a, stats_code):
    project = ProjectFactory(code="STARTED-1", status=Status.STARTED, responsible_unit=unit_a, stats_code="",
                             actual={"land": datetime.date(2026, 2, 1), "start": datetime.date(2026, 3, 1)})
    response = api(center_user).post(f"/api/projects/{project.code}/transitions/enter_statistics/",
                                     {"effective_date": "2026-06-01", "fields": {"stats_code": stats_code}},
                                     format="json")
    assert_400(response)
    project.refresh_from_db()
    assert project.status == Status.STARTED and project.stats_code == ""


def test_the_transition_page_refuses_a_negative_land_area(client, center_user, project_a):
    login(client, center_user)
    response = client.post(reverse("project_transition", args=[project_a.code, "acquire_land"]), {
        "acquire_land-effective_date": "2026-06-01", "acquire_land-land_area": "-3",
        "acquire_land-expected_status": "signed"})
    assert response.status_code == 400
    project_a.refresh_from_db()
    assert project_a.status == Status.SIGNED


# --- amounts, areas, dates and text on create and edit ---------------------------------------------


@pytest.mark.parametrize("changes", [
    {"total_investment": "1e30"}, {"total_investment": "0"}, {"total_investment": "-1"},
    {"total_investment": "1000000000"},  # 10万亿元: no single deal is that large
    {"land_area": "-1"}, {"land_area": "1e20"}, {"land_area": "1000001"},
    {"signing_date": "0001-01-01"}, {"signing_date": "1989-12-31"},
    {"planned_dates": {"land": "9999-12-31"}}, {"planned_dates": {"start": "2101-01-01"}},
    {"stats_code": "X" * 65}, {"name": "A" * 201}, {"remark": "备" * 2001}, {"name": "A\x00B"},
    {"name": "一行\n两行"}, {"investor": "投资方\r\nBcc: x@example.com"}, {"currency": "EUR"},
    {"source": "bogus"}, {"channel": "<script>"},
])
def test_the_api_refuses_out_of_range_values_on_create(center_user, unit_a, changes):
    body = new_deal(responsible_unit=unit_a.name, **changes)
    response = api(center_user).post("/api/projects/", body, format="json")
    assert_400(response)
    assert Project.objects.count() == 0 and Node.objects.count() == 0


@pytest.mark.parametrize("changes", [
    {"total_investment": "1e30"}, {"land_area": "-2"}, {"planned_dates": {"production": "9999-12-31"}},
    {"remark": "A\x00"}, {"cluster": "EUR"},
])
def test_the_api_refuses_out_of_range_values_on_patch(center_user, project_a, changes):
    response = api(center_user).patch(f"/api/projects/{project_a.code}/", changes, format="json")
    assert_400(response)
    project_a.refresh_from_db()
    assert project_a.total_investment == Decimal("20000") and project_a.land_area == Decimal("50")


def test_a_signing_date_before_1990_is_refused_by_the_sign_transition(center_user, lead):
    response = api(center_user).post(f"/api/projects/{lead.code}/transitions/sign/",
                                     {"effective_date": "0001-01-01"}, format="json")
    assert_400(response)
    assert "1990-01-01" in response.json()["detail"]
    lead.refresh_from_db()
    assert lead.status == Status.NEGOTIATING


@pytest.mark.parametrize("field, value", [("planned_land", "9999-12-31"), ("planned_production", "2101-01-01"),
                                          ("signing_date", "0001-01-01")])
def test_the_new_deal_page_refuses_dates_out_of_range(client, center_user, unit_a, field, value):
    login(client, center_user)
    response = client.post(reverse("project_new"), {
        "code": "WEB-1", "name": "页面项目", "investor": "投资方", "total_investment": "20000", "currency": "CNY",
        "is_manufacturing": "True", "cluster": "高端装备", "responsible_unit": unit_a.pk, "needs_new_land": "on",
        field: value})
    assert response.status_code == 400
    assert "1990-01-01" in response.content.decode()
    assert Project.objects.count() == 0


def test_the_edit_page_refuses_a_planned_date_in_year_9999(client, center_user, project_a):
    login(client, center_user)
    response = client.post(reverse("project_edit", args=[project_a.code]), {
        "name": project_a.name, "investor": project_a.investor, "total_investment": "20000", "currency": "CNY",
        "is_manufacturing": "True", "cluster": "高端装备", "responsible_unit": project_a.responsible_unit_id,
        "needs_new_land": "on", "land_area": "50", "planned_land": "9999-12-31"})
    assert response.status_code == 400
    assert not project_a.nodes.filter(planned_date__year__gt=2100).exists()


def test_a_reply_by_date_in_year_9999_is_refused(client, center_user, project_a):
    login(client, center_user)
    client.post(reverse("problem_new", args=[project_a.code]), {
        "problem-category": "land", "problem-description": "土地指标不足", "problem-reply_by": "9999-12-31"})
    assert Problem.objects.count() == 0


def test_assigning_a_reply_by_date_in_year_9999_is_refused(client, center_user, problem_a, unit_a):
    login(client, center_user)
    client.post(reverse("problem_action", args=[problem_a.pk, "assign"]),
                {"unit": unit_a.pk, "reply_by": "9999-12-31"})
    problem_a.refresh_from_db()
    assert problem_a.reply_by.year < 2100


# --- query parameters: parsed in one place, a Chinese 400 ------------------------------------------


@pytest.mark.parametrize("year", ["99999", "0", "-1", "1e5", "abc", "2026.5", "1989", "2101"])
@pytest.mark.parametrize("url", ["/projects/", "/projects/export.xlsx", "/api/projects/", "/api/reports/1330/",
                                 "/reports/1330.pdf", "/reports/1330.xlsx"])
def test_a_year_out_of_range_is_a_400(client, center_user, url, year):
    if url.startswith("/api/"):
        response = api(center_user).get(f"{url}?year={year}")
    else:
        response = login(client, center_user).get(f"{url}?year={year}")
    assert_400(response)


@pytest.mark.parametrize("url", ["/api/reports/1330/", "/reports/1330.pdf", "/reports/1330.xlsx",
                                 "/reports/leader.pdf", "/api/overdue/", "/reports/bulletin.pdf",
                                 "/reports/bulletin.xlsx"])
@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "2026-02-30", "yesterday", "1989-12-31"])
def test_an_as_of_out_of_range_is_a_400(client, center_user, leader, url, as_of):
    query = f"?as_of={as_of}&leader={leader.pk}"
    if url.startswith("/api/"):
        response = api(center_user).get(url + query)
    else:
        response = login(client, center_user).get(url + query)
    assert_400(response)


@pytest.mark.parametrize("leader", ["abc", "-1", "1e5", "99999999999999999999999"])
def test_a_leader_that_is_not_a_number_is_a_400(client, center_user, leader):
    response = login(client, center_user).get(f"/reports/leader.pdf?leader={leader}")
    assert_400(response)


@pytest.mark.parametrize("param", ["leader=abc", "unit=abc", "platform=x", "status=bogus", "light=blue",
                                   "amount=1t", "ordering=password", "cluster=EUR"])
def test_a_bad_list_filter_is_a_400(client, center_user, param):
    assert_400(login(client, center_user).get(f"/projects/?{param}"))
    assert_400(api(center_user).get(f"/api/projects/?{param}"))


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1e5"])
def test_a_bad_api_page_is_a_400(center_user, page):
    assert_400(api(center_user).get(f"/api/projects/?page={page}"))


def test_the_report_pages_still_accept_good_parameters(client, center_user, leader, project_a):
    login(client, center_user)
    assert client.get("/reports/1330.pdf?year=2026&as_of=2026-06-30").status_code == 200
    assert client.get(f"/reports/leader.pdf?leader={leader.pk}&as_of=2026-06-30").status_code == 200
    assert client.get("/projects/?year=2025").status_code == 200


# --- URLs, bodies, unknown fields ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/projects/%00/", "/api/projects/%00/", "/projects/?q=%00", "/api/projects/?q=a%00",
                                 "/projects/SZ-A%00/edit/", "/inbox/?show=%00"])
def test_a_nul_byte_in_the_url_is_a_400(client, center_user, project_a, url):
    login(client, center_user)
    client.raise_request_exception = False
    assert_400(client.get(url))


def test_a_deeply_nested_json_body_is_a_400(center_user):
    body = "[" * 100_000 + "]" * 100_000
    response = api(center_user).generic("POST", "/api/projects/", body, content_type="application/json")
    assert_400(response)


def test_malformed_json_is_a_chinese_400(center_user):
    response = api(center_user).generic("POST", "/api/projects/", '{"code": ', content_type="application/json")
    assert_400(response)


@pytest.mark.parametrize("extra", [{"colour": "red"}, {"status": "in_production"}, {"light": "green"},
                                   {"last_event_date": "2026-01-01"}, {"status_label": "已投产"}])
def test_unknown_and_read_only_fields_are_refused_on_create(center_user, extra):
    response = api(center_user).post("/api/projects/", new_deal(**extra), format="json")
    assert_400(response)
    assert list(extra)[0] in response.content.decode()
    assert Project.objects.count() == 0


@pytest.mark.parametrize("extra", [{"colour": "red"}, {"status": "terminated"}, {"suspended_on": "2026-01-01"}])
def test_unknown_and_read_only_fields_are_refused_on_patch(center_user, project_a, extra):
    response = api(center_user).patch(f"/api/projects/{project_a.code}/", {"name": "改名", **extra}, format="json")
    assert_400(response)
    project_a.refresh_from_db()
    assert project_a.name == "甲项目" and project_a.status == Status.SIGNED


def test_unknown_fields_of_a_transition_body_are_refused(center_user, lead):
    response = api(center_user).post(f"/api/projects/{lead.code}/transitions/sign/",
                                     {"effective_date": "2026-06-01", "when": "now"}, format="json")
    assert_400(response)
    lead.refresh_from_db()
    assert lead.status == Status.NEGOTIATING


def test_a_body_that_is_not_an_object_is_a_400(center_user):
    assert_400(api(center_user).post("/api/projects/", [1, 2], format="json"))
    assert_400(api(center_user).post("/api/projects/", "text", format="json"))


# --- the admin goes through the same validation -------------------------------------------------------


def test_the_admin_refuses_a_bad_code_and_a_negative_land_area(client, admin_user, project_a):
    login(client, admin_user)
    url = reverse("admin:projects_project_change", args=[project_a.pk])
    data = {
        "code": "A/B", "name": project_a.name, "investor": project_a.investor, "total_investment": "20000",
        "currency": "CNY", "is_manufacturing": "True", "cluster": "高端装备", "source": "", "channel": "",
        "responsible_unit": project_a.responsible_unit_id, "needs_new_land": "on", "land_area": "-1",
        "stats_code": "", "remark": "",
    }
    for prefix in ("nodes", "problems", "history"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 200  # the admin shows its form again with the errors
    body = response.content.decode()
    assert "项目编号" in body and "errorlist" in body
    project_a.refresh_from_db()
    assert project_a.code == "SZ-A" and project_a.land_area == Decimal("50")


# --- the database refuses what slips past the code -----------------------------------------------------


@pytest.mark.parametrize("changes", [
    {"code": "A/B"}, {"code": "A\nB"}, {"code": ""}, {"currency": "EUR"}, {"cluster": "bogus<b>"},
    {"source": "x"}, {"channel": "x"}, {"status": "flying"}, {"suspended_from": "x"},
    {"total_investment": Decimal("0")}, {"total_investment": Decimal("1000000000")},
    {"land_area": Decimal("-1")}, {"land_area": Decimal("1000001")},
    {"signing_date": datetime.date(1, 1, 1)}, {"signing_date": datetime.date(2101, 1, 1)},
    {"suspended_on": datetime.date(9999, 12, 31)}, {"last_event_date": datetime.date(1989, 12, 31)},
    {"remark": "备" * 2001}, {"status_reason": "因" * 2001},
])
def test_the_database_refuses_a_project_value_that_skips_validation(project_a, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project_a.pk).update(**changes)


@pytest.mark.parametrize("model_changes", [
    ("node", {"planned_date": datetime.date(1, 1, 1)}), ("node", {"actual_date": datetime.date(9999, 1, 1)}),
    ("node", {"node_type": "moon"}),
    ("problem", {"reply_by": datetime.date(9999, 12, 31)}), ("problem", {"raised_on": datetime.date(1, 1, 1)}),
    ("problem", {"category": "bogus"}), ("problem", {"status": "bogus"}),
])
def test_the_database_refuses_node_and_problem_values_that_skip_validation(problem_a, model_changes):
    kind, changes = model_changes
    queryset = (Node.objects.filter(project=problem_a.project) if kind == "node"
                else Problem.objects.filter(pk=problem_a.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**changes)


def test_the_demo_data_satisfies_the_constraints(db):
    from projects.demo import load_demo

    load_demo(today=datetime.date(2026, 6, 30))
    assert Project.objects.count() > 0


# --- custom error pages, in Chinese ----------------------------------------------------------------


def test_a_missing_page_answers_the_chinese_404(client, center_user):
    response = login(client, center_user).get("/projects/NOPE/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_an_api_404_answers_json_in_chinese(center_user):
    response = api(center_user).get("/api/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert has_chinese(json.dumps(response.json(), ensure_ascii=False))


def test_the_400_page_says_what_was_wrong(client, center_user):
    response = login(client, center_user).get("/reports/1330.pdf?year=99999")
    body = response.content.decode()
    assert response.status_code == 400 and "请求有误" in body and "年度" in body


def test_the_500_page_is_chinese(rf):
    from config.urls import handler500
    from django.urls import get_callable

    response = get_callable(handler500)(rf.get("/"))
    assert response.status_code == 500 and "系统繁忙" in response.content.decode()


def test_the_403_page_is_chinese(rf):
    from django.core.exceptions import PermissionDenied
    from django.urls import get_callable

    from config.urls import handler403

    response = get_callable(handler403)(rf.get("/"), PermissionDenied("无权办理"))
    assert response.status_code == 403 and "无权办理" in response.content.decode()


# --- the ledger import goes through the same validation ----------------------------------------------


@pytest.mark.parametrize("changes, header", [
    ({"项目编号": "A/B"}, "项目编号"), ({"项目编号": "SZ 1"}, "项目编号"), ({"签约日期": "1900-01-01"}, "签约日期"),
    ({"计划投产日期": "2999-01-01"}, "计划投产日期"), ({"总投资": 5, "计量单位": "亿元", "用地面积（亩）": 2_000_000}, "用地面积（亩）"),
    ({"总投资": 200_000_000}, "总投资"), ({"所在平台": "平台\n第二行"}, "所在平台"), ({"备注": "备" * 2001}, "备注"),
    ({"项目名称": "名称\t制表"}, "项目名称"),
])
def test_the_ledger_refuses_what_the_form_refuses(tmp_path, changes, header):
    from projects.ledger import import_ledger
    from projects.models import Platform, TransitionLog
    from tests.projects.test_ledger import base_row, write_ledger

    platforms = Platform.objects.count()
    result = import_ledger(path_or_file=write_ledger(tmp_path / "l.xlsx", [base_row(**changes)]), create_missing=True)
    assert any(error.startswith(f"第2行 {header}:") for error in result.errors), result.errors
    assert Project.objects.count() == 0 and TransitionLog.objects.count() == 0
    assert Platform.objects.count() == platforms


# --- the data migration brings old rows within the constraints ------------------------------------------


@pytest.fixture
def constraints_lifted(db):
    """Let rows break the check constraints, as rows stored before them did. PostgreSQL drops and
    re-adds them in the test's transaction (re-adding checks every row: the proof); SQLite cannot
    alter tables inside a transaction, so it is told to ignore them for a while."""
    from django.db import connection

    constraints = [c for c in Project._meta.constraints if c.name != "project_total_investment_positive"]
    if connection.vendor == "postgresql":
        # Deferred foreign-key checks pending from the fixtures' inserts would block ALTER TABLE.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            for constraint in constraints:
                editor.remove_constraint(Project, constraint)
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            for constraint in constraints:
                editor.add_constraint(Project, constraint)
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        yield
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
        for pk in Project.objects.values_list("pk", flat=True):  # an UPDATE checks the row again
            Project.objects.filter(pk=pk).update(code=models.F("code"))


def test_the_data_migration_repairs_rows_stored_before_the_constraints(project_a, project_b, constraints_lifted):
    from importlib import import_module

    from django.apps import apps

    repair = import_module("projects.migrations.0006_repair_values").repair
    Project.objects.filter(pk=project_a.pk).update(
        code="A/B\n", currency="EUR", cluster="bogus<b>", land_area=Decimal("-3"), signing_date=datetime.date(1, 1, 1),
        name="一行\n两行", remark="备注")
    Project.objects.filter(pk=project_b.pk).update(code="A-B-", total_investment=Decimal("1e12"))
    repair(apps, None)
    a, b = Project.objects.get(pk=project_a.pk), Project.objects.get(pk=project_b.pk)
    assert (a.code, a.currency, a.cluster, a.land_area, a.signing_date, a.name) == (
        f"A-B--{a.pk}", Currency.CNY, "", None, None, "一行 两行")
    assert "原项目编号「A/B 」" in a.remark and "EUR" in a.remark and a.remark.startswith("备注；")
    assert (b.code, b.total_investment) == ("A-B-", None) and "超出范围" in b.remark


@pytest.mark.parametrize("header", ["责任单位", "联系市领导", "所在平台"])
def test_an_over_long_name_is_not_created_by_create_missing(tmp_path, header):
    from projects.ledger import import_ledger
    from tests.projects.test_ledger import base_row, write_ledger

    result = import_ledger(path_or_file=write_ledger(tmp_path / "l.xlsx", [base_row(**{header: "名" * 65})]),
                           create_missing=True)
    assert any(error.startswith(f"第2行 {header}:") for error in result.errors) and Project.objects.count() == 0
