"""Issue 5 and 9: a unit sees the projects it is responsible for and those where it owns a node;
its own work is its projects and those where a node it owns is overdue or due within 14 days
(section 4). Issue 12 gives the scope to the database as a list of ids when it is short, a UNION
subquery when it is long: both must select the same projects."""

import datetime

import pytest

from milestones.models import Node
from projects import selectors
from projects.models import Role, Status
from tests.factories import ProjectFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 30)


@pytest.fixture(params=["id list", "union subquery"])
def scope_form(request, monkeypatch):
    if request.param == "union subquery":
        monkeypatch.setattr(selectors, "UNIT_SCOPE_LIST_MAX", 0)
    return request.param


@pytest.fixture
def world():
    unit, other = UnitFactory(name="甲单位"), UnitFactory(name="乙单位")
    user = UserFactory(username="unit_a", role=Role.UNIT, role__unit=unit)
    ProjectFactory(code="OWN", responsible_unit=unit)
    ProjectFactory(code="OTHER", responsible_unit=other)
    # Other units' projects where the unit owns a node: late, due in 14 days, due in 15, done, and
    # late on a project that is suspended (its nodes cannot be late, section 4).
    for code, planned, status, done in [("LATE", AS_OF - datetime.timedelta(days=3), Status.SIGNED, False),
                                        ("SOON", AS_OF + datetime.timedelta(days=14), Status.SIGNED, False),
                                        ("LATER", AS_OF + datetime.timedelta(days=15), Status.SIGNED, False),
                                        ("DONE", AS_OF - datetime.timedelta(days=3), Status.LAND_ACQUIRED, True),
                                        ("PAUSED", AS_OF - datetime.timedelta(days=3), Status.SUSPENDED, False)]:
        project = ProjectFactory(code=code, responsible_unit=other, status=status,
                                 planned={"land": planned}, actual={"land": planned} if done else None)
        Node.objects.filter(project=project, node_type="land").update(responsible_unit=unit)
    return user


def codes(projects):
    return sorted(projects.values_list("code", flat=True))


def test_a_unit_sees_its_projects_and_those_where_it_owns_a_node(world, scope_form):
    assert codes(selectors.visible_projects(world)) == ["DONE", "LATE", "LATER", "OWN", "PAUSED", "SOON"]


def test_a_units_own_work_is_its_projects_and_its_nodes_late_or_due_within_14_days(world, scope_form):
    assert codes(selectors.own_projects(world, as_of=AS_OF)) == ["LATE", "OWN", "SOON"]


def test_the_scope_narrows_further_filters_and_node_lists(world, scope_form):
    visible = selectors.visible_projects(world)
    assert codes(visible.filter(status=Status.SIGNED)) == ["LATE", "LATER", "OWN", "SOON"]
    nodes = selectors.visible_nodes(world, Node.objects.filter(node_type="land"))
    assert sorted(nodes.values_list("project__code", flat=True)) == ["DONE", "LATE", "LATER", "OWN", "PAUSED", "SOON"]


def test_the_same_projects_in_another_order_are_the_same_id_list():
    """Issue 12: a scope's counts are cached by its query's text; the database may return the same
    projects in any order (a UNION's hash or sort), and the same set must give the same text."""
    from projects.lookups import Ids

    shuffled, ordered = Ids([7, 3, 5]), Ids(["3", 5, 7])
    assert shuffled.array_literal == ordered.array_literal == "{3,5,7}"
    assert repr(shuffled) == repr(ordered)
