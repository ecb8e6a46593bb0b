"""Issue 11: report_factors (DOMAIN.md section 11) reads a fixed number of queries whatever the number
of projects, and its items carry what each list prints."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from milestones import factor_services
from milestones.factor_selectors import report_factors
from tests.factories import ProjectFactory, UnitFactory

D = datetime.date
AS_OF = D(2026, 6, 30)
FAR = {"land": D(2030, 1, 1), "start": D(2030, 4, 1), "statistics": D(2030, 5, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


def add_projects(count: int, start: int) -> None:
    """Each with an overdue land need and an at-risk funds need, on different units."""
    for index in range(start, start + count):
        project = ProjectFactory(code=f"FQ{index:03d}", planned={**FAR, "land": D(2026, 6, 1), "start": D(2026, 7, 20)},
                                 responsible_unit=UnitFactory(name=f"查询单位{index % 3}"))
        factor_services.need_set(project=project, factor_type="land", needed=50, today=D(2026, 1, 1))
        factor_services.need_set(project=project, factor_type="funds", needed=1000, today=D(2026, 1, 1))


def queries() -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        report = report_factors(as_of=AS_OF)
    return len(captured), report


def test_report_factors_reads_two_queries_whatever_the_number_of_projects():
    add_projects(2, 0)
    few, report = queries()
    assert (len(report["overdue"]), len(report["at_risk"])) == (2, 2)
    add_projects(20, 100)
    many, report = queries()
    assert (len(report["overdue"]), len(report["at_risk"])) == (22, 22)
    assert few == many == 2


def test_a_report_item_carries_the_need_its_project_and_its_unit():
    add_projects(1, 0)
    item = report_factors(as_of=AS_OF)["overdue"][0]
    assert item == {"project": "FQ000", "type": "land", "needed": 50, "secured": 0, "gap": 50,
                    "needed_by": "2026-06-01", "name": item["name"], "type_label": "土地", "measure": "亩", "days": 29,
                    "responsible_unit": "市自然资源局"}
