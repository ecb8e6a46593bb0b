"""DOMAIN.md section 10: the 达产 node and the at_capacity state, and how sections 4, 6 and 7a extend
to them (an in-production project is active for its 达产 node only; at capacity has no light)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from milestones.models import DeadlineRule, NodeType
from milestones.selectors import (
    annotate_light,
    due_soon_nodes,
    light_counts,
    light_counts_by_unit,
    overdue_nodes,
    overdue_rows,
)
from milestones.services import sync_nodes
from notifications.models import Kind, Notification
from notifications.services import escalate_overdue, send_reminders, weekly_alert
from projects.models import Project, Status, Unit
from projects.services import TransitionRefused, project_revert_last, project_transition
from tests.factories import ProjectFactory, UnitFactory

D = datetime.date
AS_OF = D(2026, 6, 30)
BEFORE_PRODUCTION = {"land": D(2025, 3, 1), "start": D(2025, 4, 1), "statistics": D(2025, 5, 1)}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def producing(production=D(2024, 6, 1), capacity=None, **kwargs):
    """An in-production project: every node before 达产 done, production on `production`."""
    kwargs.setdefault("signing_date", D(2025, 1, 1))
    kwargs.setdefault("last_event_date", production)
    return ProjectFactory(status=Status.IN_PRODUCTION, actual={**BEFORE_PRODUCTION, "production": production},
                          planned={"capacity": capacity} if capacity else None, **kwargs)


def refused(**kwargs):
    with pytest.raises(TransitionRefused) as exc:
        project_transition(**kwargs)
    return " ".join(exc.value.messages)


# --- the node ------------------------------------------------------------------------------------


def test_every_project_has_a_capacity_node_after_production():
    project = ProjectFactory()
    assert [n.node_type for n in project.nodes.order_by("id")][-1] == NodeType.CAPACITY


def test_capacity_is_planned_24_months_after_the_production_nodes_actual_date():
    project = producing(production=D(2024, 8, 31))
    assert project.nodes.get(node_type="capacity").planned_date == D(2026, 8, 31)


def test_capacity_follows_the_production_nodes_planned_date_until_production_happens():
    project = ProjectFactory(planned={"production": D(2027, 2, 28)})
    capacity = project.nodes.get(node_type="capacity")
    assert capacity.planned_date == D(2029, 2, 28)
    project.nodes.filter(node_type="production").update(actual_date=D(2027, 1, 31))
    sync_nodes(project=project)
    capacity.refresh_from_db()
    assert capacity.planned_date == D(2029, 1, 31)


def test_an_agreed_capacity_date_is_never_recomputed():
    project = producing(production=D(2024, 6, 1), capacity=D(2025, 12, 31))
    sync_nodes(project=project, actual_dates={"production": D(2024, 7, 1)})
    assert project.nodes.get(node_type="capacity").planned_date == D(2025, 12, 31)


def test_the_capacity_nodes_default_unit_is_the_economy_bureau():
    assert ProjectFactory().nodes.get(node_type="capacity").responsible_unit.name == "市经信局"


def test_the_capacity_duration_and_unit_are_configurable():
    other = UnitFactory(name="市发改局")
    DeadlineRule.objects.filter(node_type="capacity").update(months=12, default_unit=other)
    project = producing(production=D(2025, 3, 15))
    node = project.nodes.get(node_type="capacity")
    assert (node.planned_date, node.responsible_unit) == (D(2026, 3, 15), other)


# --- the transition --------------------------------------------------------------------------------


def test_reach_capacity_moves_in_production_to_at_capacity_and_records_the_capacity_node():
    project = producing()
    project_transition(project=project, name="reach_capacity", effective_date=D(2026, 6, 1))
    assert project.status == Status.AT_CAPACITY
    assert project.nodes.get(node_type="capacity").actual_date == D(2026, 6, 1)


@pytest.mark.parametrize("status", [Status.SIGNED, Status.IN_STATISTICS, Status.SUSPENDED, Status.AT_CAPACITY])
def test_reach_capacity_is_only_from_in_production(status):
    project = ProjectFactory(status=status)
    assert "不能办理达产" in refused(project=project, name="reach_capacity", effective_date=D(2026, 6, 1))


def test_reach_capacity_refuses_a_future_date_and_one_before_production():
    project = producing(production=D(2026, 3, 1))
    assert "不能晚于今天" in refused(project=project, name="reach_capacity", effective_date=D(2026, 7, 1))
    assert "不能早于上一节点日期" in refused(project=project, name="reach_capacity", effective_date=D(2026, 2, 28))


def test_reach_capacity_needs_the_actual_values_where_indicators_were_agreed():
    project = producing(agreed_tax_per_mu=Decimal("30"), agreed_plot_ratio=Decimal("1.2"))
    message = refused(project=project, name="reach_capacity", effective_date=D(2026, 6, 1))
    assert "达产复核" in message and "年税收" in message and "容积率" in message
    project_transition(project=project, name="reach_capacity", effective_date=D(2026, 6, 1),
                       fields={"actual_yearly_tax": Decimal("1600"), "actual_plot_ratio": Decimal("1.3")})
    assert project.status == Status.AT_CAPACITY
    assert project.capacity_reviewed_on == D(2026, 6, 1)


def test_reach_capacity_without_agreed_indicators_asks_for_no_review():
    project = producing()
    project_transition(project=project, name="reach_capacity", effective_date=D(2026, 6, 1))
    assert project.status == Status.AT_CAPACITY and project.capacity_reviewed_on is None


def test_reverting_reach_capacity_restores_the_state_and_the_review_values():
    project = producing(agreed_plot_ratio=Decimal("1.2"))
    project_transition(project=project, name="reach_capacity", effective_date=D(2026, 6, 1),
                       fields={"actual_plot_ratio": Decimal("1.5")})
    project_revert_last(project=project, reason="录错")
    assert project.status == Status.IN_PRODUCTION
    assert (project.actual_plot_ratio, project.capacity_reviewed_on) == (None, None)
    assert project.nodes.get(node_type="capacity").actual_date is None


def test_suspend_applies_in_production_and_resume_returns_there():
    project = producing()
    project_transition(project=project, name="suspend", effective_date=D(2026, 6, 1), reason="停产整改")
    assert (project.status, project.suspended_from) == (Status.SUSPENDED, Status.IN_PRODUCTION)
    project_transition(project=project, name="resume", effective_date=D(2026, 6, 2))
    assert project.status == Status.IN_PRODUCTION


def test_terminate_applies_in_production():
    project = producing()
    project_transition(project=project, name="terminate", effective_date=D(2026, 6, 1), reason="企业破产")
    assert project.status == Status.TERMINATED


def test_terminate_is_refused_at_capacity_and_when_terminated():
    for status in (Status.AT_CAPACITY, Status.TERMINATED):
        project = ProjectFactory(status=status)
        assert "不能办理终止" in refused(project=project, name="terminate", effective_date=D(2026, 6, 1), reason="x")


# --- overdue, due soon, lights ---------------------------------------------------------------------


def test_an_in_production_project_is_overdue_for_its_capacity_node():
    producing(production=D(2024, 5, 1), code="LATE")  # 达产 planned 2026-05-01: 60 days late
    assert [(n.project.code, n.node_type, n.overdue_days, n.light) for n in overdue_nodes(as_of=AS_OF)] == [
        ("LATE", "capacity", 60, "red")]


def test_an_in_production_project_is_active_for_its_capacity_node_only():
    # Its 入库 node was never recorded and is long past: not chased once the project produces.
    project = ProjectFactory(status=Status.IN_PRODUCTION, actual={"production": D(2025, 1, 1)},
                             planned={"statistics": D(2024, 1, 1)})
    assert project.nodes.get(node_type="statistics").actual_date is None
    assert list(overdue_nodes(as_of=AS_OF)) == []
    assert annotate_light(Project.objects.filter(pk=project.pk), as_of=AS_OF).get().light == "green"


def test_a_capacity_node_due_within_fourteen_days_is_due_soon():
    producing(production=D(2024, 7, 14), code="SOON")
    assert [(n.project.code, n.node_type, n.days_left) for n in due_soon_nodes(as_of=AS_OF)] == [
        ("SOON", "capacity", 14)]


def test_an_in_production_project_gets_its_light_from_the_capacity_node():
    red = producing(production=D(2024, 5, 30), code="RED")  # 31 days late
    yellow = producing(production=D(2024, 5, 31), code="YELLOW")  # 30 days late
    green = producing(production=D(2024, 6, 30), code="GREEN")  # due today
    lights = {p.code: (p.light, p.max_overdue_days)
              for p in annotate_light(Project.objects.filter(pk__in=[red.pk, yellow.pk, green.pk]), as_of=AS_OF)}
    assert lights == {"RED": ("red", 31), "YELLOW": ("yellow", 30), "GREEN": ("green", None)}


def test_an_at_capacity_project_has_no_light_and_nothing_overdue():
    project = ProjectFactory(status=Status.AT_CAPACITY, actual={"production": D(2024, 1, 1)},
                             planned={"capacity": D(2025, 1, 1), "statistics": D(2024, 1, 1)})
    assert list(overdue_nodes(as_of=AS_OF)) == [] and list(due_soon_nodes(as_of=AS_OF)) == []
    assert annotate_light(Project.objects.filter(pk=project.pk), as_of=AS_OF).get().light is None
    assert light_counts(as_of=AS_OF) == {"red": 0, "yellow": 0, "green": 0}


def test_light_counts_include_in_production_projects():
    unit = Unit.objects.get(name="市经信局")
    producing(production=D(2024, 5, 1), responsible_unit=unit)
    producing(production=D(2025, 6, 1), responsible_unit=unit)
    assert light_counts(as_of=AS_OF) == {"red": 1, "yellow": 0, "green": 1}
    row = next(r for r in light_counts_by_unit(as_of=AS_OF) if r["unit"] == "市经信局")
    assert (row["red"], row["green"], row["overdue_nodes"]) == (1, 1, 1)


def test_the_overdue_list_node_may_be_capacity():
    producing(production=D(2024, 6, 10), code="CAP")
    assert overdue_rows(as_of=AS_OF) == [{
        "project": "CAP", "node": "capacity", "planned_date": "2026-06-10", "overdue_days": 20, "light": "yellow",
        "responsible_unit": "市经信局", "contact_leader": None,
    }]


# --- reminders, escalation, weekly alert ------------------------------------------------------------


def test_the_capacity_node_is_reminded_to_its_unit_before_its_planned_date():
    producing(production=D(2024, 7, 3))  # 达产 planned Friday 2026-07-03: 3 working days ahead
    assert send_reminders(as_of=AS_OF).created == 1
    assert "「达产」节点" in Notification.objects.get(kind=Kind.REMINDER).body


def test_a_capacity_node_turning_red_is_escalated(center_unit):
    producing(production=D(2024, 5, 1), code="ESC")
    assert escalate_overdue(as_of=AS_OF).created >= 1
    assert "ESC 达产 已逾期 60 天" in Notification.objects.filter(kind=Kind.ESCALATION).first().subject


def test_the_weekly_alert_lists_overdue_capacity_nodes(center_unit):
    producing(production=D(2024, 6, 10), code="WEEK")
    result = weekly_alert(as_of=D(2026, 6, 29))
    assert result["overdue_nodes"] == 1
    unit = Unit.objects.get(name="市经信局")
    body = Notification.objects.get(kind=Kind.WEEKLY, unit=unit).body
    assert "WEEK" in body and "｜达产｜" in body
