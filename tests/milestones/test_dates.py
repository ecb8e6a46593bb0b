"""DOMAIN.md section 3: derived planned dates."""

import datetime

import pytest
import time_machine

from milestones.dates import add_months
from milestones.models import DeadlineRule
from projects.services import project_transition
from tests.factories import ProjectFactory

D = datetime.date


@pytest.mark.parametrize(
    "day,months,expected",
    [
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2026, 3, 31), 3, D(2026, 6, 30)),
        (D(2026, 11, 30), 18, D(2028, 5, 30)),
        (D(2026, 1, 15), 0, D(2026, 1, 15)),
    ],
)
def test_adding_months_clamps_to_the_last_day_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def planned(project):
    return dict(project.nodes.values_list("node_type", "planned_date"))


@pytest.mark.django_db
def test_default_durations_chain_from_the_signing_date():
    project = ProjectFactory(signing_date=D(2025, 8, 31))
    assert planned(project) == {
        "sign": D(2025, 8, 31),
        "land": D(2026, 2, 28),  # 6 months after sign, clamped
        "start": D(2026, 5, 28),  # 3 months after land
        "statistics": D(2026, 6, 28),  # 1 month after start
        "production": D(2027, 11, 28),  # 18 months after start, not after statistics
        "capacity": D(2029, 11, 28),  # 24 months after production (section 10)
    }


@pytest.mark.django_db
def test_start_follows_sign_when_land_does_not_apply():
    project = ProjectFactory(signing_date=D(2026, 1, 31), needs_new_land=False)
    dates = planned(project)
    assert "land" not in dates
    assert dates["start"] == D(2026, 4, 30)


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 6, 30, 10, 0), tick=False)
def test_a_derived_date_is_recomputed_when_the_previous_actual_is_recorded():
    project = ProjectFactory(signing_date=D(2026, 1, 15))
    assert planned(project)["start"] == D(2026, 10, 15)
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 3, 10))
    dates = planned(project)
    assert dates["start"] == D(2026, 6, 10)
    assert dates["statistics"] == D(2026, 7, 10)
    assert dates["production"] == D(2027, 12, 10)


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 6, 30, 10, 0), tick=False)
def test_an_agreed_date_is_never_recomputed():
    project = ProjectFactory(signing_date=D(2026, 1, 15), planned={"start": D(2026, 12, 1)})
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 3, 10))
    dates = planned(project)
    assert dates["start"] == D(2026, 12, 1)
    assert dates["statistics"] == D(2027, 1, 1)  # derived from the agreed start


@pytest.mark.django_db
def test_durations_are_data():
    DeadlineRule.objects.filter(node_type="land").update(months=4)
    project = ProjectFactory(signing_date=D(2026, 1, 15))
    assert planned(project)["land"] == D(2026, 5, 15)


@pytest.mark.django_db
def test_node_owners_default_per_node_and_fall_back_to_the_project_unit():
    project = ProjectFactory()
    owners = dict(project.nodes.values_list("node_type", "responsible_unit__name"))
    assert owners["land"] == "市自然资源局"
    assert owners["start"] == "市住建局"
    assert owners["statistics"] == "市统计局"
    assert owners["production"] == "市经信局"
    assert owners["sign"] == project.responsible_unit.name
