"""DOMAIN.md section 10 judged in SQL (the report over many projects) gives the same verdicts as the
Python rules the project page and the 达产 guard use (projects.compliance.evaluate), edges included."""

import datetime
import random
from decimal import Decimal

import pytest

from projects import compliance
from projects.models import Project, Status
from reports.compliance import reviewed_projects
from tests.factories import ProjectFactory

D = datetime.date
AS_OF = D(2026, 6, 30)
DONE = {"land": D(2024, 2, 1), "start": D(2024, 3, 1), "statistics": D(2024, 4, 1), "production": D(2025, 1, 10)}

pytestmark = pytest.mark.django_db


def producing(code, **values):
    return ProjectFactory(code=code, status=Status.IN_PRODUCTION, actual=DONE, last_event_date=DONE["production"],
                          **values)


def random_values(rng: random.Random) -> dict:
    """Agreed indicators and 达产复核 values around them: a quarter exactly at the agreed value,
    some missing, some reviewed after the as-of date, a few projects without a land area."""
    land = None if rng.random() < 0.15 else Decimal(rng.choice(["50", "33.33", "3", "7.5", "120.25"]))
    values = {"land_area": land, "needs_new_land": land is not None,
              "capacity_reviewed_on": rng.choice([D(2026, 3, 1), D(2026, 6, 30), D(2026, 7, 1), None])}
    for indicator in compliance.INDICATORS:
        if rng.random() < 0.35 or (indicator.per_mu and land is None):
            continue
        agreed = Decimal(rng.choice(["0.1", "0.08", "1.2", "30", "33.3333", "250", "512.5"]))
        values[indicator.agreed_field] = agreed
        if rng.random() < 0.15:
            continue
        target = agreed * land if indicator.per_mu else agreed
        factor = rng.choice([Decimal(1), Decimal(1), Decimal("0.9"), Decimal("1.1"), Decimal("0.9999")])
        values[indicator.actual_field] = (target * factor).quantize(Decimal("0.0001"))
    if not any(values.get(field) is not None for field in compliance.AGREED_FIELDS):
        values["agreed_plot_ratio"] = Decimal("1.2")
    return values


def test_the_report_judges_every_project_as_the_python_rules_do():
    rng = random.Random(10)
    for index in range(60):
        producing(f"R{index:03d}", **random_values(rng))
    # Exactly at the agreed value where binary fractions would miss it: 0.1 万元/亩 × 3 亩 = 0.3.
    producing("EXACT", land_area=Decimal("3"), agreed_tax_per_mu=Decimal("0.1"), actual_yearly_tax=Decimal("0.3"),
              agreed_plot_ratio=Decimal("1.2"), actual_plot_ratio=Decimal("1.2"),
              agreed_energy_per_output=Decimal("0.08"), actual_energy_per_output=Decimal("0.08"),
              capacity_reviewed_on=D(2026, 3, 1))
    # A whole amount over a whole area that integer division would round down: 10001 ÷ 50.
    producing("WHOLE", land_area=Decimal("50"), agreed_investment_intensity=Decimal("200.02"),
              actual_fixed_investment=Decimal("10001"), capacity_reviewed_on=D(2026, 3, 1))

    reported = {item["project"]: item for item in reviewed_projects(as_of=AS_OF)}
    projects = Project.objects.all()
    assert set(reported) == {project.code for project in projects}
    for project in projects:
        expected = compliance.evaluate(project.__dict__, as_of=AS_OF)
        item = reported[project.code]
        assert item["met"] is expected["met"], project.code
        assert list(item["indicators"]) == list(expected["indicators"]), project.code
        for key, want in expected["indicators"].items():
            got = item["indicators"][key]
            assert got["met"] is want["met"], (project.code, key)
            for name in ("agreed", "actual", "shortfall"):
                if want[name] is None:
                    assert got[name] is None, (project.code, key, name)
                else:
                    assert got[name] == pytest.approx(float(want[name]), abs=1e-4), (project.code, key, name)
    assert reported["EXACT"]["met"] is True
    assert reported["WHOLE"]["indicators"]["investment_intensity"] == {
        "agreed": 200.02, "actual": 200.02, "met": True, "shortfall": 0.0, "label": "投资强度", "unit": "万元/亩"}
