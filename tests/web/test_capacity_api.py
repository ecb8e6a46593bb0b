"""Section 10 in the API: agreed indicators on the project, the 达产复核, reach_capacity and the
report_compliance JSON (section 11)."""

import datetime

import pytest

from projects.models import Role, Status, Unit
from tests.factories import ProjectFactory, UserFactory

from .test_api import api

pytestmark = pytest.mark.django_db
D = datetime.date
DONE = {"land": D(2024, 2, 1), "start": D(2024, 3, 1), "statistics": D(2024, 4, 1), "production": D(2025, 1, 10)}


@pytest.fixture
def producing(unit_a):
    return ProjectFactory(code="SZ-P", responsible_unit=unit_a, status=Status.IN_PRODUCTION, actual=DONE,
                          last_event_date=D(2025, 1, 10))


def test_agreed_indicators_are_set_by_patch_and_judged_on_the_detail(center_user, producing):
    client = api(center_user)
    response = client.patch("/api/projects/SZ-P/", {"agreed_tax_per_mu": "30", "agreed_plot_ratio": "1.2",
                                                     "planned_dates": {"capacity": "2026-12-31"}}, format="json")
    assert response.status_code == 200, response.json()
    body = client.get("/api/projects/SZ-P/").json()
    assert body["agreed_tax_per_mu"] == "30.0000"
    assert body["nodes"][-1]["node_type"] == "capacity" and body["nodes"][-1]["planned_date"] == "2026-12-31"
    assert body["compliance"]["met"] is None and body["compliance"]["verdict"] == "未复核"
    assert set(body["compliance"]["indicators"]) == {"tax_per_mu", "plot_ratio"}


def test_per_mu_indicators_without_a_land_area_are_a_400_in_chinese(center_user, producing):
    response = api(center_user).patch("/api/projects/SZ-P/", {"land_area": None, "agreed_output_per_mu": "500"},
                                      format="json")
    assert response.status_code == 400
    assert "不能约定按亩计算的指标" in str(response.json())


def test_review_values_are_read_only_on_the_project(center_user, producing):
    api(center_user).patch("/api/projects/SZ-P/", {"actual_yearly_tax": "999"}, format="json")
    producing.refresh_from_db()
    assert producing.actual_yearly_tax is None


def test_the_capacity_review_then_reach_capacity(center_user, producing):
    client = api(center_user)
    client.patch("/api/projects/SZ-P/", {"agreed_tax_per_mu": "30"}, format="json")
    refused = client.post("/api/projects/SZ-P/transitions/reach_capacity/", {"effective_date": "2026-06-01"},
                          format="json")
    assert refused.status_code == 400 and "达产复核" in refused.json()["detail"]
    review = client.post("/api/projects/SZ-P/capacity-review/", {"reviewed_on": "2026-05-20",
                                                                  "actual_yearly_tax": "1400"}, format="json")
    assert review.status_code == 200, review.json()
    assert review.json()["compliance"]["indicators"]["tax_per_mu"]["actual"] == 28.0
    assert review.json()["compliance"]["met"] is False
    done = client.post("/api/projects/SZ-P/transitions/reach_capacity/", {"effective_date": "2026-06-01"},
                       format="json")
    assert done.status_code == 200 and done.json()["status"] == Status.AT_CAPACITY


def test_the_capacity_review_is_refused_before_production_and_for_other_units(center_user, unit_user, project_a,
                                                                              producing):
    before = api(center_user).post("/api/projects/SZ-A/capacity-review/", {"reviewed_on": "2026-06-01"},
                                   format="json")
    assert before.status_code == 403
    other = api(unit_user).post("/api/projects/SZ-P/capacity-review/", {"reviewed_on": "2026-06-01"}, format="json")
    assert other.status_code == 403
    economy = UserFactory(username="jx", role=Role.UNIT, role__unit=Unit.objects.get(name="市经信局"))
    ok = api(economy).post("/api/projects/SZ-P/capacity-review/", {"reviewed_on": "2026-06-01",
                                                                   "actual_plot_ratio": "1"}, format="json")
    assert ok.status_code == 200


def test_the_compliance_report_json(center_user, leader_user, unit_user, producing):
    producing.agreed_plot_ratio = 1
    producing.save()
    body = api(center_user).get("/api/reports/compliance/?as_of=2026-06-30").json()
    assert body["summary"] == {"met": 0, "not_met": 0, "unreviewed": 1}
    assert body["projects"][0]["project"] == "SZ-P"
    assert api(leader_user).get("/api/reports/compliance/").status_code == 200
    assert api(unit_user).get("/api/reports/compliance/").status_code == 404  # reports are not there for a unit


def test_the_schema_names_the_new_endpoints(center_user):
    schema = api(center_user).get("/api/schema/?format=json").json()
    assert "/api/projects/{code}/capacity-review/" in schema["paths"]
    assert "/api/reports/compliance/" in schema["paths"]
    assert "reach_capacity" in str(schema["paths"]["/api/projects/{code}/transitions/{name}/"])
