"""Issue 12 part 1: a project's earliest pending planned date (`Project.next_due`) is kept by every
writer, and the lights read from it are section 4's lights computed from the nodes."""

import datetime
import importlib
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from milestones.models import Node, NodeType
from milestones.selectors import (
    annotate_light,
    light_counts,
    light_counts_by_unit,
    light_q,
    most_overdue_first,
    pending_nodes,
    red_before,
)
from milestones.services import refresh_next_due
from projects.forms import ProjectFilter
from projects.ledger import HEADERS, import_ledger
from projects.models import LIGHT_STATUSES, Project, Status, Transition
from projects.services import (
    TransitionRefused,
    project_create,
    project_revert_last,
    project_transition,
    project_update,
    project_version,
)
from tests.factories import ProjectFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 30)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def from_the_nodes() -> dict:
    """Every project's earliest pending planned date, computed afresh from its nodes: the population
    of sections 4 and 10 (pending nodes of active projects, the 达产 node in production)."""
    earliest = dict(pending_nodes().values("project").annotate(d=Min("planned_date")).values_list("project", "d"))
    return {pk: earliest.get(pk) for pk in Project.objects.values_list("pk", flat=True)}


def stored() -> dict:
    return dict(Project.objects.values_list("pk", "next_due"))


# --- random histories ------------------------------------------------------------------------------

planned_dates = st.one_of(st.none(), st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31)))
steps = st.one_of(
    # Mostly a transition the state allows (its guard may still refuse), sometimes any at all.
    st.tuples(st.just("next"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("next"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("transition"), st.sampled_from(Transition.values)),
    st.tuples(st.just("revert"), st.none()),
    st.tuples(st.just("next, then revert"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("plan"), st.tuples(st.sampled_from([t for t in NodeType.values if t != NodeType.SIGN]),
                                         planned_dates)),
    st.tuples(st.just("land"), st.booleans()),
    st.tuples(st.just("ledger"), st.tuples(st.sampled_from(["计划开工日期", "计划投产日期", "计划达产日期",
                                                            "实际供地日期", "实际开工日期", "状态"]),
                                           st.one_of(planned_dates, st.sampled_from(["已暂停", "已终止", ""])))),
    st.tuples(st.just("create"), st.booleans()),
)
histories = st.lists(st.tuples(st.integers(min_value=0, max_value=3), steps, st.integers(min_value=0, max_value=9)),
                     min_size=1, max_size=14)


def ledger_file(code, header, value) -> io.BytesIO:
    """A ledger naming one existing project and one changed cell; the other columns are left out,
    so the project keeps what the system has (section 9)."""
    project = Project.objects.get(code=code)
    cells = {"项目编号": code, "项目名称": project.name, "投资方": project.investor, "总投资": 20000,
             header: value.isoformat() if isinstance(value, D) else value}
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    headers = [h for h in HEADERS if h in cells]
    sheet.append(headers)
    sheet.append([cells[h] for h in headers])
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


def apply(step, project, day, user):
    kind, arg = step
    if kind in ("next", "next, then revert"):
        allowed = [t.name for t in project.get_available_status_transitions()] or [Transition.SIGN]
        if kind == "next, then revert":
            apply(("transition", allowed[arg % len(allowed)]), project, day, user)
            assert stored() == from_the_nodes()
            kind, arg = "revert", None
        else:
            kind, arg = "transition", allowed[arg % len(allowed)]
    try:
        if kind == "transition":
            fields = {"land_area": 30} if arg == Transition.ACQUIRE_LAND else {}
            fields = {"stats_code": "TJ-1"} if arg == Transition.ENTER_STATISTICS else fields
            project_transition(project=project, name=arg, user=user, effective_date=day, reason="测试",
                               fields=fields, today=TODAY)
        elif kind == "revert":
            project_revert_last(project=project, user=user, reason="更正")
        elif kind == "plan":
            node_type, planned = arg
            project_update(project=project, user=user, planned_dates={node_type: planned})
        elif kind == "land":
            project_update(project=project, user=user, needs_new_land=arg)
        elif kind == "ledger":
            result = import_ledger(path_or_file=ledger_file(project.code, *arg), user=user, today=TODAY)
            if not result.ok:
                raise ValidationError(result.errors)
        elif kind == "create":
            project_create(user=user, code=f"N{Project.objects.count()}", name="新项目", investor="新投资方",
                           total_investment=20000, is_manufacturing=True, cluster="高端装备",
                           responsible_unit=project.responsible_unit, land_area=20,
                           signing_date=day if arg else None, today=TODAY)
    except (TransitionRefused, ValidationError):
        event(f"{kind} refused")  # a refused step writes nothing; the history goes on
    else:
        event(f"{kind} done")


@given(history=histories)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_next_due_equals_the_earliest_pending_date_of_the_nodes_after_any_history(history):
    """Transitions (every one, refused or not), reverts, planned-date and land edits, ledger imports
    and new deals, in random order: after each, every project's stored date is the nodes' own."""
    with transaction.atomic():
        user = UserFactory()
        projects = [
            ProjectFactory(code="H-NEG", status=Status.NEGOTIATING, signing_date=None, last_event_date=None),
            ProjectFactory(code="H-SIGNED", signing_date=D(2026, 1, 10), planned={"land": D(2026, 3, 1)}),
            ProjectFactory(code="H-STATS", status=Status.IN_STATISTICS, stats_code="TJ-0", signing_date=D(2025, 3, 1),
                           actual={"land": D(2025, 5, 1), "start": D(2025, 7, 1), "statistics": D(2025, 8, 1)}),
            ProjectFactory(code="H-PROD", status=Status.IN_PRODUCTION, stats_code="TJ-9", signing_date=D(2023, 1, 1),
                           planned={"capacity": D(2026, 5, 1)},
                           actual={"land": D(2023, 3, 1), "start": D(2023, 5, 1), "statistics": D(2023, 6, 1),
                                   "production": D(2024, 1, 1)}),
        ]
        assert stored() == from_the_nodes()
        day = D(2026, 1, 20)
        for index, step, days_later in history:
            day = min(day + datetime.timedelta(days=days_later), TODAY)
            apply(step, Project.objects.get(pk=projects[index].pk), day, user)
            assert stored() == from_the_nodes(), step
        transaction.set_rollback(True)


def test_a_suspended_project_has_no_next_due_and_gets_it_back_on_resume():
    project = ProjectFactory(planned={"land": D(2026, 5, 1)})
    assert Project.objects.get(pk=project.pk).next_due == D(2026, 5, 1)
    project_transition(project=project, name=Transition.SUSPEND, effective_date=TODAY, reason="资金未到位")
    assert Project.objects.get(pk=project.pk).next_due is None
    project_transition(project=project, name=Transition.RESUME, effective_date=TODAY)
    assert Project.objects.get(pk=project.pk).next_due == D(2026, 5, 1)


def test_an_in_production_project_keeps_its_capacity_date_only():
    project = ProjectFactory(status=Status.IN_STATISTICS, stats_code="TJ", planned={"capacity": D(2027, 1, 1)},
                             actual={"land": D(2026, 2, 1), "start": D(2026, 3, 1), "statistics": D(2026, 4, 1)})
    project_update(project=project, planned_dates={"production": D(2026, 5, 1)})
    assert Project.objects.get(pk=project.pk).next_due == D(2026, 5, 1)
    project_transition(project=project, name=Transition.START_PRODUCTION, effective_date=TODAY)
    assert Project.objects.get(pk=project.pk).next_due == D(2027, 1, 1)


def test_the_admin_keeps_next_due_when_it_drops_the_land_node(client):
    """The admin's edit goes through sync_nodes: a project that no longer needs land loses the land
    node, and with it the land date as its earliest."""
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    project = ProjectFactory(planned={"land": D(2026, 3, 1), "start": D(2026, 9, 1)})
    data = {"code": project.code, "name": project.name, "investor": project.investor, "total_investment": "20000",
            "currency": "CNY", "is_manufacturing": "True", "cluster": "高端装备", "source": "外引",
            "channel": "产业链招商", "responsible_unit": project.responsible_unit_id, "needs_new_land": "",
            "version": project_version(project),
            **{f"{prefix}-{key}": value for prefix in ("nodes", "problems", "history")
               for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))}}
    response = client.post(reverse("admin:projects_project_change", args=[project.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Project.objects.get(pk=project.pk).next_due == D(2026, 9, 1)


def test_the_ledger_sets_next_due_on_the_projects_it_creates():
    sample = Path(__file__).resolve().parents[1] / "data" / "sample_ledger.xlsx"
    result = import_ledger(path_or_file=sample, create_missing=True, today=D(2026, 11, 25))
    assert result.ok and result.created, result.errors
    assert stored() == from_the_nodes()
    assert any(stored().values())


def test_refresh_next_due_repairs_any_bulk_write():
    project = ProjectFactory(planned={"land": D(2026, 5, 1)})
    Node.objects.filter(project=project, node_type="land").update(planned_date=D(2026, 4, 1))
    refresh_next_due(projects=Project.objects.filter(pk=project.pk))
    assert Project.objects.get(pk=project.pk).next_due == D(2026, 4, 1)


def test_the_migration_fills_next_due_for_existing_projects():
    ProjectFactory(planned={"land": D(2026, 5, 1)})
    ProjectFactory(status=Status.IN_PRODUCTION, planned={"capacity": D(2027, 2, 1), "land": D(2026, 1, 1)},
                   actual={"production": D(2025, 2, 1)})
    ProjectFactory(status=Status.TERMINATED, planned={"land": D(2026, 5, 1)})
    expected = stored()
    Project.objects.update(next_due=None)
    importlib.import_module("milestones.migrations.0012_fill_next_due").forward(apps, None)
    assert stored() == expected == from_the_nodes()


# --- the lights read from it are the lights of the nodes ----------------------------------------------

node_plans = st.lists(st.tuples(st.sampled_from(NodeType.values), planned_dates, st.booleans()), max_size=6)
populations = st.lists(st.tuples(st.sampled_from(Status.values), node_plans), min_size=1, max_size=6)


def reference_light(project, as_of):
    """Section 4 from the nodes, as annotate_light computed it before issue 12: the oldest pending
    planned date before as_of among the nodes that can be late."""
    if project.status not in LIGHT_STATUSES:
        return None, None
    late = [n.planned_date for n in pending_nodes().filter(project=project, planned_date__lt=as_of)]
    if not late:
        return "green", None
    days = (as_of - min(late)).days
    return ("red" if days > 30 else "yellow"), days


@given(population=populations, as_of=st.dates(min_value=D(2024, 1, 1), max_value=D(2029, 12, 31)))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_lights_filters_counts_and_order_from_next_due_are_the_nodes_lights(population, as_of):
    """For any projects, nodes and as-of date (past, present or future)."""
    with transaction.atomic():
        unit = UnitFactory(name="测试单位甲")
        for index, (status, nodes) in enumerate(population):
            project = ProjectFactory(code=f"L{index}", status=status, responsible_unit=unit)
            Node.objects.filter(project=project).delete()
            Node.objects.bulk_create([
                Node(project=project, node_type=node_type, planned_date=planned,
                     actual_date=planned if done and planned else None)
                for node_type, planned, done in dict((t, (t, p, d)) for t, p, d in nodes).values()
            ])
        refresh_next_due()
        projects = list(Project.objects.all())
        expected = {p.code: reference_light(p, as_of) for p in projects}
        annotated = {p.code: (p.light, p.max_overdue_days) for p in annotate_light(Project.objects.all(), as_of=as_of)}
        assert annotated == expected
        for light in ("red", "yellow", "green"):
            filtered = set(Project.objects.filter(light_q(light, as_of=as_of)).values_list("code", flat=True))
            assert filtered == {code for code, (got, _) in expected.items() if got == light}, light
        lights = [got for got, _ in expected.values()]
        assert light_counts(as_of=as_of) == {light: lights.count(light) for light in ("red", "yellow", "green")}
        by_unit = {r["unit"]: r for r in light_counts_by_unit(as_of=as_of)}
        if any(lights):
            assert {k: by_unit["测试单位甲"][k] for k in ("red", "yellow", "green")} == light_counts(as_of=as_of)
        ordered = [p.code for p in annotate_light(Project.objects.all(), as_of=as_of).order_by(most_overdue_first())]
        worst_first = [expected[code][1] for code in ordered]
        overdue = [days for days in worst_first if days is not None]
        assert overdue == sorted(overdue, reverse=True)
        assert worst_first[:len(overdue)] == overdue  # the overdue ones first, the rest after
        transaction.set_rollback(True)


def test_the_red_filter_of_the_list_is_a_range_on_next_due():
    ProjectFactory(code="RED", planned={"land": red_before(TODAY) - datetime.timedelta(days=1)})
    ProjectFactory(code="YELLOW", planned={"land": TODAY - datetime.timedelta(days=1)})
    queryset = annotate_light(Project.objects.all(), as_of=TODAY)
    red = ProjectFilter({"light": "red"}, queryset=queryset, as_of=TODAY).qs
    assert [p.code for p in red] == ["RED"]
    assert "next_due" in str(red.query).split("WHERE")[1]
