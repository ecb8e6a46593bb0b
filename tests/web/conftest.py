"""Fixtures for page and API tests: one login per role and projects inside and outside a unit's scope."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from projects.models import Role, Unit
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def unit_a(db):
    return UnitFactory(name="甲单位")


@pytest.fixture
def unit_b(db):
    return UnitFactory(name="乙单位")


@pytest.fixture
def land_unit(db):
    return Unit.objects.get(name="市自然资源局")


@pytest.fixture
def leader(db):
    return LeaderFactory(name="张副市长")


@pytest.fixture
def center_user(db):
    return UserFactory(username="center", role=Role.CENTER)


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def leader_user(db, leader):
    user = UserFactory(username="leader", role=Role.LEADER)
    leader.user = user
    leader.save()
    return user


@pytest.fixture
def unit_user(db, unit_a):
    return UserFactory(username="unit_a", role=Role.UNIT, role__unit=unit_a)


@pytest.fixture
def land_user(db, land_unit):
    return UserFactory(username="land", role=Role.UNIT, role__unit=land_unit)


@pytest.fixture
def project_a(db, unit_a, leader):
    """Unit A's signed project, its land node 45 days late (red): signed 2025-11-01, land planned 2026-05-16."""
    return ProjectFactory(code="SZ-A", name="甲项目", responsible_unit=unit_a, contact_leader=leader,
                          signing_date=datetime.date(2025, 11, 1), planned={"land": datetime.date(2026, 5, 16)})


@pytest.fixture
def project_b(db, unit_b):
    """Unit B's project: outside unit A's scope."""
    return ProjectFactory(code="SZ-B", name="乙项目", responsible_unit=unit_b,
                          signing_date=datetime.date(2026, 3, 1))


@pytest.fixture
def problem_a(db, project_a, unit_a):
    return ProblemFactory(project=project_a, assigned_unit=unit_a, raised_on=datetime.date(2026, 6, 1))


def login(client, user):
    client.force_login(user)
    return client
