"""要素保障 in the API (DOMAIN.md section 11): scope, writes through the services, the report JSON, OpenAPI."""

import pytest

from milestones import factor_services
from milestones.models import FactorNeed
from projects.models import Role, Unit
from tests.factories import UserFactory
from tests.web.test_api import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def land_need(project_a):
    return factor_services.need_set(project=project_a, factor_type="land", needed=50)


def test_the_schema_documents_the_factor_endpoints(center_user):
    content = api(center_user).get("/api/schema/").content
    assert b"/api/factors/{id}/secured/" in content and b"/api/reports/factors/" in content


def test_the_list_is_scoped_and_carries_the_status(unit_user, land_need, project_b):
    factor_services.need_set(project=project_b, factor_type="funds", needed=10)
    [item] = api(unit_user).get("/api/factors/").json()["results"]
    assert (item["project"], item["factor_type"], item["status"], item["needed_by"]) == (
        "SZ-A", "land", "overdue", "2026-05-16")


def test_the_center_states_a_need_and_a_unit_cannot(center_user, unit_user, project_a):
    body = {"project": "SZ-A", "factor_type": "energy", "needed": "3000"}
    assert api(unit_user).post("/api/factors/", body, format="json").status_code == 403
    response = api(center_user).post("/api/factors/", body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["responsible_unit"], response.json()["status"]) == ("市发改局", "open")


def test_a_zero_need_is_a_400_in_chinese(center_user, project_a):
    response = api(center_user).post("/api/factors/", {"project": "SZ-A", "factor_type": "land", "needed": "0"},
                                     format="json")
    assert response.status_code == 400 and "须大于 0" in str(response.json())


def test_the_needs_unit_records_an_increase(land_user, unit_user, land_need):
    body = {"amount": "50", "secured_on": "2026-06-30", "document": "嵊土批〔2026〕9号"}
    assert api(unit_user).post(f"/api/factors/{land_need.pk}/secured/", body, format="json").status_code == 403
    response = api(land_user).post(f"/api/factors/{land_need.pk}/secured/", body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "secured" and response.json()["records"][0]["by"] == "land"


def test_a_future_increase_is_a_400(center_user, land_need):
    body = {"amount": "5", "secured_on": "2026-07-01", "document": "文件"}
    response = api(center_user).post(f"/api/factors/{land_need.pk}/secured/", body, format="json")
    assert response.status_code == 400 and "不能晚于今天" in str(response.json())


def test_the_center_sets_and_clears_the_needed_by_date(center_user, land_need):
    url = f"/api/factors/{land_need.pk}/needed-by/"
    assert api(center_user).post(url, {"needed_by": "2026-09-30"}, format="json").json()["status"] == "open"
    assert api(center_user).post(url, {"needed_by": None}, format="json").json()["needed_by"] == "2026-05-16"
    assert FactorNeed.objects.get().needed_by_set is None


def test_the_report_json_follows_the_contract(center_user, unit_user, land_need):
    report = api(center_user).get("/api/reports/factors/?as_of=2026-06-30").json()
    assert report["overdue"][0]["project"] == "SZ-A" and report["totals"]["land"] == {
        "needed": 50, "secured": 0, "gap": 50}
    assert api(unit_user).get("/api/reports/factors/").status_code == 404  # not there for a unit (issue 8)


def test_an_energy_unit_sees_its_needs_on_any_project(project_b):
    factor_services.need_set(project=project_b, factor_type="energy", needed=10)
    user = UserFactory(username="fgj", role=Role.UNIT, role__unit=Unit.objects.get(name="市发改局"))
    assert [i["project"] for i in api(user).get("/api/factors/").json()["results"]] == ["SZ-B"]
