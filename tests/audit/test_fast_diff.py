"""Issue 12 part 4: the bulk audit's own diff records exactly what django-auditlog's would."""

import copy
import datetime
import json
from decimal import Decimal

import pytest
from auditlog.diff import model_instance_diff

from audit.services import _diff
from projects.models import Problem, Status
from tests.factories import LeaderFactory, PlatformFactory, ProblemFactory, ProjectFactory, UnitFactory

pytestmark = pytest.mark.django_db


def auditlogs(old, new):
    changes = model_instance_diff(old, new, use_json_for_changes=True)
    # auditlog keeps (old, new) tuples; stored as JSON they are lists, as _diff gives them.
    return json.loads(json.dumps(changes)) if changes else None


def changed_copy(instance, **values):
    other = copy.copy(instance)
    for name, value in values.items():
        other.__dict__[name] = value  # as loaded from the database (the state field refuses assignment)
    return other


@pytest.fixture
def project():
    return ProjectFactory(
        remark="备注", agreed_plot_ratio=Decimal("1.2000"), contact_leader=LeaderFactory(), platform=PlatformFactory(),
        planned={"land": datetime.date(2026, 5, 1)},
    )


def test_a_created_project_and_its_nodes_are_recorded_alike(project):
    assert _diff(type(project), None, project) == auditlogs(None, project)
    for node in project.nodes.all():
        assert _diff(type(node), None, node) == auditlogs(None, node)


def test_a_deleted_object_is_recorded_alike(project):
    node = project.nodes.first()
    assert _diff(type(node), node, None) == auditlogs(node, None)


@pytest.mark.parametrize("values", [
    {"name": "新名称", "remark": ""},
    {"total_investment": Decimal("30000.5000"), "land_area": None},
    {"total_investment": Decimal("20000")},  # the same number written differently: no change
    {"signing_date": datetime.date(2026, 2, 1), "last_event_date": None},
    {"is_manufacturing": False, "needs_new_land": False},
    {"contact_leader_id": None, "platform_id": None},
    {"status": Status.TERMINATED, "status_reason": "撤资"},
    {"updated_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)},  # excluded from the record
])
def test_a_changed_project_is_recorded_alike(project, values):
    changed = changed_copy(project, **values)
    assert _diff(type(project), project, changed) == auditlogs(project, changed)


def test_a_changed_node_is_recorded_alike(project):
    node = project.nodes.get(node_type="land")
    changed = changed_copy(node, planned_date=None, actual_date=datetime.date(2026, 6, 1),
                           responsible_unit_id=UnitFactory().pk, planned_is_agreed=False)
    assert _diff(type(node), node, changed) == auditlogs(node, changed)


def test_a_problem_with_its_datetimes_is_recorded_alike():
    problem = ProblemFactory()
    problem = Problem.objects.get(pk=problem.pk)
    assert _diff(Problem, None, problem) == auditlogs(None, problem)
    changed = changed_copy(problem, reply_by=datetime.date(2026, 4, 1), description="改")
    assert _diff(Problem, problem, changed) == auditlogs(problem, changed)
