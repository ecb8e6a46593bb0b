"""DOMAIN.md section 4: overdue, lights, due soon; section 9: the overdue list contract."""

import datetime
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from milestones.selectors import (
    annotate_light,
    due_soon_nodes,
    light_counts,
    light_counts_by_unit,
    overdue_nodes,
    overdue_rows,
    suspended_projects,
)
from projects.models import Project, Status
from tests.factories import LeaderFactory, ProjectFactory, UnitFactory

D = datetime.date
AS_OF = D(2026, 6, 30)
FAR = {"start": D(2030, 1, 1), "statistics": D(2030, 2, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def project_with_land(planned_land, **kwargs):
    """A project whose only pending node near AS_OF is `land` (the others are far in the future)."""
    return ProjectFactory(planned={"land": planned_land, **FAR}, **kwargs)


def days_before(n):
    return AS_OF - datetime.timedelta(days=n)


def test_a_node_planned_for_the_as_of_date_is_not_overdue():
    project_with_land(AS_OF)
    assert list(overdue_nodes(as_of=AS_OF)) == []


def test_a_node_planned_the_day_before_is_overdue_by_one_day_yellow():
    project_with_land(days_before(1))
    [node] = overdue_nodes(as_of=AS_OF)
    assert (node.node_type, node.overdue_days, node.light) == ("land", 1, "yellow")


def test_thirty_days_overdue_is_still_yellow_and_thirty_one_is_red():
    project_with_land(days_before(30), code="P30")
    project_with_land(days_before(31), code="P31")
    lights = {n.project.code: (n.overdue_days, n.light) for n in overdue_nodes(as_of=AS_OF)}
    assert lights == {"P30": (30, "yellow"), "P31": (31, "red")}


def test_a_node_with_an_actual_date_is_not_overdue():
    ProjectFactory(status=Status.LAND_ACQUIRED, planned={"land": days_before(40), **FAR},
                   actual={"land": days_before(35)})
    assert list(overdue_nodes(as_of=AS_OF)) == []


@pytest.mark.parametrize("status", [Status.SIGNED, Status.LAND_ACQUIRED, Status.STARTED, Status.IN_STATISTICS])
def test_active_projects_have_overdue_nodes(status):
    project_with_land(days_before(5), status=status)
    assert overdue_nodes(as_of=AS_OF).count() == 1


@pytest.mark.parametrize(
    "status", [Status.NEGOTIATING, Status.SUSPENDED, Status.TERMINATED, Status.AT_CAPACITY]
)
def test_projects_that_are_not_active_have_no_overdue_nodes_no_due_soon_and_no_light(status):
    project = project_with_land(days_before(50), status=status)
    ProjectFactory(planned={"land": AS_OF, **FAR}, status=status)
    assert list(overdue_nodes(as_of=AS_OF)) == []
    assert list(due_soon_nodes(as_of=AS_OF)) == []
    assert annotate_light(Project.objects.filter(pk=project.pk), as_of=AS_OF).get().light is None


def test_a_project_without_land_has_no_land_node_to_be_overdue():
    ProjectFactory(needs_new_land=False, planned={"start": days_before(3), "statistics": D(2030, 1, 1),
                                                  "production": D(2031, 1, 1)})
    assert [n.node_type for n in overdue_nodes(as_of=AS_OF)] == ["start"]


def test_each_light_by_the_worst_node():
    red = ProjectFactory(code="RED", planned={"land": days_before(31), "start": days_before(2),
                                              "statistics": D(2030, 1, 1), "production": D(2031, 1, 1)})
    yellow = project_with_land(days_before(30), code="YELLOW")
    green = project_with_land(AS_OF, code="GREEN")
    lights = {
        p.code: (p.light, p.max_overdue_days)
        for p in annotate_light(Project.objects.filter(pk__in=[red.pk, yellow.pk, green.pk]), as_of=AS_OF)
    }
    assert lights == {"RED": ("red", 31), "YELLOW": ("yellow", 30), "GREEN": ("green", None)}


def test_annotate_light_is_one_query_whatever_the_number_of_projects(django_assert_num_queries):
    for i in range(5):
        project_with_land(days_before(i * 10))
    with django_assert_num_queries(1):
        assert len([p.light for p in annotate_light(Project.objects.all(), as_of=AS_OF)]) == 5


def test_light_counts():
    project_with_land(days_before(31))
    project_with_land(days_before(40))
    project_with_land(days_before(1))
    project_with_land(AS_OF)
    project_with_land(days_before(99), status=Status.SUSPENDED)
    assert light_counts(as_of=AS_OF) == {"red": 2, "yellow": 1, "green": 1}


def test_light_counts_by_unit_counts_lights_by_project_unit_and_overdue_nodes_by_node_unit():
    mine = UnitFactory(name="甲单位")
    project_with_land(days_before(31), responsible_unit=mine)
    project_with_land(AS_OF, responsible_unit=mine)
    rows = {r["unit"]: r for r in light_counts_by_unit(as_of=AS_OF)}
    assert {k: rows["甲单位"][k] for k in ("red", "yellow", "green", "overdue_nodes")} == {
        "red": 1, "yellow": 0, "green": 1, "overdue_nodes": 0
    }
    # The land node belongs to 自然资源局 (deadline rule), which owns the overdue node.
    assert rows["市自然资源局"]["overdue_nodes"] == 1


@pytest.mark.parametrize(
    "planned,expected",
    [(AS_OF, True), (AS_OF + datetime.timedelta(days=14), True), (AS_OF + datetime.timedelta(days=15), False),
     (days_before(1), False)],
)
def test_due_soon_is_from_the_as_of_date_to_fourteen_days_after(planned, expected):
    project_with_land(planned)
    assert due_soon_nodes(as_of=AS_OF).exists() is expected


def test_overdue_rows_are_the_section_9_json_most_overdue_first():
    leader = LeaderFactory(name="张副市长")
    project_with_land(days_before(3), code="B", contact_leader=leader)
    project_with_land(days_before(45), code="A")
    assert overdue_rows(as_of=AS_OF) == [
        {"project": "A", "node": "land", "planned_date": "2026-05-16", "overdue_days": 45, "light": "red",
         "responsible_unit": "市自然资源局", "contact_leader": None},
        {"project": "B", "node": "land", "planned_date": "2026-06-27", "overdue_days": 3, "light": "yellow",
         "responsible_unit": "市自然资源局", "contact_leader": "张副市长"},
    ]


def test_overdue_rows_print_the_planned_date_as_the_database_gives_it_as_iso_text():
    """The date's text comes from the database (milestones.selectors.IsoDate): month and day
    zero-padded, as date.isoformat() writes them, from the first day the ledger accepts."""
    project_with_land(D(2026, 1, 5), code="C")
    project_with_land(D(1990, 1, 1), code="D")
    rows = overdue_rows(as_of=AS_OF)
    assert [(row["project"], row["planned_date"]) for row in rows] == [("D", "1990-01-01"), ("C", "2026-01-05")]
    assert rows[0]["overdue_days"] == (AS_OF - D(1990, 1, 1)).days
    assert json.loads(json.dumps(rows)) == rows


def test_ties_are_ordered_by_project_code_then_node_order():
    ProjectFactory(code="Z", planned={"land": days_before(5), **FAR})
    ProjectFactory(code="Y", needs_new_land=False,
                   planned={"start": days_before(5), "statistics": days_before(5), "production": D(2031, 1, 1)})
    assert [(r["project"], r["node"]) for r in overdue_rows(as_of=AS_OF)] == [
        ("Y", "start"), ("Y", "statistics"), ("Z", "land")
    ]


def test_the_overdue_list_is_one_query(django_assert_num_queries):
    for i in range(5):
        project_with_land(days_before(i + 1), contact_leader=LeaderFactory())
    with django_assert_num_queries(1):
        assert len(overdue_rows(as_of=AS_OF)) == 5
    with django_assert_num_queries(1):
        assert [n.project.contact_leader.name for n in overdue_nodes(as_of=AS_OF)]


def test_suspended_projects_say_how_long_they_have_been_suspended():
    ProjectFactory(code="S", status=Status.SUSPENDED, suspended_from=Status.SIGNED, suspended_on=days_before(20))
    [project] = suspended_projects(as_of=AS_OF)
    assert (project.code, project.suspended_days) == ("S", 20)


def test_overdue_command_prints_the_json_and_defaults_to_today_in_shanghai():
    project_with_land(days_before(2), code="C1")
    out = StringIO()
    call_command("overdue", stdout=out)
    assert json.loads(out.getvalue())[0]["overdue_days"] == 2
    out = StringIO()
    call_command("overdue", "--as-of", "2026-07-10", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())[0]["overdue_days"] == 12


def test_overdue_command_table_format():
    project_with_land(days_before(40), code="C2")
    out = StringIO()
    call_command("overdue", "--format", "table", stdout=out)
    assert "C2\t供地\t2026-05-21\t40\t红灯" in out.getvalue()
