"""The web fixtures (one login per role, projects in and out of scope) for the audit tests."""

from tests.web.conftest import (  # noqa: F401
    admin_user,
    center_user,
    frozen_now,
    land_unit,
    land_user,
    leader,
    leader_user,
    problem_a,
    project_a,
    project_b,
    unit_a,
    unit_b,
    unit_user,
)
