"""The REST API per role (issue 5): token login, scope (404 outside it), writes through the services,
400 with the guard's message and 409 for a lost race."""

import datetime

import pytest
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from projects.models import Project, Status

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def test_token_login_returns_a_token(center_user):
    response = APIClient().post("/api/auth/token/", {"username": "center", "password": "pass12345"}, format="json")
    assert response.status_code == 200
    assert api().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}").status_code == 200


def test_token_login_refuses_a_wrong_password(center_user):
    response = APIClient().post("/api/auth/token/", {"username": "center", "password": "nope"}, format="json")
    assert response.status_code == 400


def test_anonymous_calls_are_refused():
    assert APIClient().get("/api/projects/").status_code == 401


def test_the_schema_is_served(center_user):
    response = api(center_user).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/projects/{code}/transitions/{name}/" in response.content


@pytest.mark.parametrize("role_user, codes", [
    ("center_user", {"SZ-A", "SZ-B"}), ("leader_user", {"SZ-A", "SZ-B"}), ("admin_user", {"SZ-A", "SZ-B"}),
    ("unit_user", {"SZ-A"}),
])
def test_the_list_is_scoped_by_role(request, role_user, codes, project_a, project_b):
    response = api(request.getfixturevalue(role_user)).get("/api/projects/")
    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == codes


def test_the_list_filters_like_the_page(center_user, project_a, project_b):
    client = api(center_user)
    assert [r["code"] for r in client.get("/api/projects/?light=red").json()["results"]] == ["SZ-A"]
    assert [r["code"] for r in client.get("/api/projects/?q=乙").json()["results"]] == ["SZ-B"]
    assert [r["code"] for r in client.get("/api/projects/?year=2025").json()["results"]] == ["SZ-A"]
    assert client.get("/api/projects/?amount=1b").json()["count"] == 0


def test_a_project_has_its_light_and_nodes(center_user, project_a):
    body = api(center_user).get("/api/projects/SZ-A/").json()
    assert body["light"] == "red" and body["max_overdue_days"] == 45
    assert [n["node_type"] for n in body["nodes"]] == ["sign", "land", "start", "statistics", "production",
                                                      "capacity"]


def test_a_unit_user_gets_404_for_another_units_project(unit_user, project_b):
    client = api(unit_user)
    assert client.get("/api/projects/SZ-B/").status_code == 404
    assert client.post("/api/projects/SZ-B/transitions/acquire_land/", {"effective_date": "2026-06-01"},
                       format="json").status_code == 404
    assert client.patch("/api/projects/SZ-B/", {"name": "x"}, format="json").status_code == 404


def test_the_center_creates_and_signs_a_project(center_user, unit_a):
    data = {"code": "SZ2026-901", "name": "高端装备项目", "investor": "某集团", "total_investment": "120000",
            "currency": "CNY", "is_manufacturing": True, "cluster": "高端装备", "responsible_unit": "甲单位",
            "signing_date": "2026-06-10", "planned_dates": {"land": "2026-09-30"}}
    response = api(center_user).post("/api/projects/", data, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == Status.SIGNED
    assert Project.objects.get(code="SZ2026-901").nodes.get(node_type="land").planned_date == datetime.date(2026, 9, 30)


def test_the_counts_read_after_a_change_include_it(center_user, unit_a, project_a):
    """Issue 12 caches the counts until the data change: the 1330 JSON and the list's total read
    right after a new deal, its node recorded and its transition, count them."""
    client = api(center_user)

    def counts():
        report = client.get("/api/reports/1330/?year=2026").json()
        return report["counts"]["1b"], client.get("/api/projects/").json()["count"]

    before_1b, before_total = counts()
    data = {"code": "SZ2026-903", "name": "十亿项目", "investor": "某集团", "total_investment": "150000",
            "currency": "CNY", "is_manufacturing": True, "cluster": "高端装备", "responsible_unit": "甲单位",
            "signing_date": "2026-06-10"}
    assert client.post("/api/projects/", data, format="json").status_code == 201
    assert counts() == (before_1b + 1, before_total + 1)
    red = client.get("/api/projects/?light=red").json()["count"]
    assert client.post("/api/projects/SZ-A/transitions/acquire_land/", {"effective_date": "2026-06-20"},
                       format="json").status_code == 200
    assert client.get("/api/projects/?light=red").json()["count"] == red - 1


def test_creating_is_refused_whole_with_the_sign_guards_message(center_user):
    data = {"code": "SZ2026-902", "name": "缺责任单位", "investor": "某集团", "total_investment": "120000",
            "is_manufacturing": True, "cluster": "高端装备", "signing_date": "2026-06-10"}
    response = api(center_user).post("/api/projects/", data, format="json")
    assert response.status_code == 400
    assert "责任单位" in str(response.json())
    assert not Project.objects.filter(code="SZ2026-902").exists()


@pytest.mark.parametrize("role_user", ["leader_user", "unit_user"])
def test_only_the_center_creates_and_edits(request, role_user, project_a):
    client = api(request.getfixturevalue(role_user))
    assert client.post("/api/projects/", {"code": "X"}, format="json").status_code == 403
    assert client.patch("/api/projects/SZ-A/", {"name": "x"}, format="json").status_code == 403


def test_the_center_patches_a_project(center_user, project_a):
    response = api(center_user).patch("/api/projects/SZ-A/", {"name": "甲项目二期", "contact_leader": None},
                                      format="json")
    assert response.status_code == 200, response.json()
    project_a.refresh_from_db()
    assert project_a.name == "甲项目二期" and project_a.contact_leader is None


def test_a_unit_records_the_node_it_owns(land_user, project_a):
    response = api(land_user).post("/api/projects/SZ-A/transitions/acquire_land/",
                                   {"effective_date": "2026-06-20", "fields": {"land_area": "80"}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.LAND_ACQUIRED and response.json()["light"] == "green"


def test_a_unit_may_not_record_a_node_it_does_not_own(unit_user, project_a):
    response = api(unit_user).post("/api/projects/SZ-A/transitions/acquire_land/",
                                   {"effective_date": "2026-06-20"}, format="json")
    assert response.status_code == 403


def test_a_leader_makes_no_transition(leader_user, project_a):
    response = api(leader_user).post("/api/projects/SZ-A/transitions/suspend/",
                                     {"effective_date": "2026-06-20", "reason": "x"}, format="json")
    assert response.status_code == 403


def test_a_refused_transition_answers_400_with_the_guards_message(center_user, project_a):
    """DOMAIN.md section 2: suspend needs a reason."""
    response = api(center_user).post("/api/projects/SZ-A/transitions/suspend/", {"effective_date": "2026-06-20"},
                                     format="json")
    assert response.status_code == 400
    assert "暂停须填写原因" in response.json()["detail"]


def test_a_field_the_transition_may_not_set_is_refused(center_user, project_a):
    response = api(center_user).post("/api/projects/SZ-A/transitions/acquire_land/",
                                     {"effective_date": "2026-06-20", "fields": {"name": "x"}}, format="json")
    assert response.status_code == 400


def test_a_lost_race_answers_409(center_user, project_a):
    """Another change won: the client expected `signed`, the row moved on before the call ran."""
    Project.objects.filter(pk=project_a.pk).update(status=Status.LAND_ACQUIRED)
    response = api(center_user).post(
        "/api/projects/SZ-A/transitions/start/",
        {"effective_date": "2026-06-20", "expected_status": "signed"}, format="json",
    )
    assert response.status_code == 409


def test_a_row_changed_between_fetch_and_transition_answers_409(center_user, project_a, monkeypatch):
    """The project is read by the view, then another request moves it before the service locks it."""
    from projects import api as api_module

    real = api_module.project_transition

    def racing(**kwargs):
        Project.objects.filter(pk=project_a.pk).update(status=Status.SUSPENDED)
        return real(**kwargs)

    monkeypatch.setattr(api_module, "project_transition", racing)
    response = api(center_user).post("/api/projects/SZ-A/transitions/acquire_land/",
                                     {"effective_date": "2026-06-20", "fields": {"land_area": "5"},
                                      "expected_status": "signed"}, format="json")
    assert response.status_code == 409


def test_the_overdue_list_is_scoped(unit_user, center_user, project_a, project_b):
    rows = api(center_user).get("/api/overdue/?as_of=2026-06-30").json()
    assert {r["project"] for r in rows} >= {"SZ-A"}
    assert all(r["project"] == "SZ-A" for r in api(unit_user).get("/api/overdue/?as_of=2026-06-30").json())


def test_the_1330_report_json(center_user, unit_user, project_a):
    response = api(center_user).get("/api/reports/1330/?year=2026&as_of=2026-06-30")
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2026 and body["as_of"] == "2026-06-30"
    for key in ("time_progress", "targets", "counts", "completion", "projects", "by_month", "by_cluster",
                "by_source", "node_reached"):
        assert key in body



def test_the_1330_report_does_not_exist_for_a_unit(unit_user, project_a):
    """Issue 8: outside a user's scope is a 404, as on the pages (a 403 would say it is there)."""
    assert api(unit_user).get("/api/reports/1330/?year=2026").status_code == 404
    assert api().get("/api/reports/1330/").status_code == 401


def test_a_bad_as_of_is_a_400(center_user):
    assert api(center_user).get("/api/overdue/?as_of=2026-13-01").status_code == 400
