"""DOMAIN.md section 2: transitions, their guards, the history and the audited revert."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from milestones.models import Node
from projects.models import Status, TransitionLog
from projects.services import (
    TransitionConflict,
    TransitionRefused,
    project_create,
    project_revert_last,
    project_transition,
)
from tests.factories import ProjectFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today_is_30_june_2026():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))), tick=False):
        yield

D = datetime.date


def refused(fn, **kwargs):
    with pytest.raises(TransitionRefused) as exc:
        fn(**kwargs)
    return " ".join(exc.value.messages)


def negotiating(**kwargs):
    kwargs.setdefault("signing_date", None)
    kwargs.setdefault("last_event_date", None)
    return ProjectFactory(status=Status.NEGOTIATING, **kwargs)


def test_sign_moves_negotiating_to_signed_and_records_signing_date():
    project = negotiating()
    project_transition(project=project, name="sign", effective_date=D(2026, 5, 1))
    assert project.status == Status.SIGNED
    assert project.signing_date == D(2026, 5, 1)
    assert project.nodes.get(node_type="sign").actual_date == D(2026, 5, 1)


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("total_investment", None, "总投资"),
        ("is_manufacturing", None, "是否制造业"),
        ("responsible_unit", None, "责任单位"),
        ("cluster", "", "产业集群"),
        ("investor", "", "投资方"),
    ],
)
def test_sign_refuses_without_required_fields(field, value, expected):
    project = negotiating(**{field: value})
    message = refused(project_transition, project=project, name="sign", effective_date=D(2026, 5, 1))
    assert expected in message
    project.refresh_from_db()
    assert project.status == Status.NEGOTIATING


def test_sign_refuses_a_future_signing_date():
    project = negotiating()
    assert "不能晚于今天" in refused(project_transition, project=project, name="sign", effective_date=D(2026, 7, 1))


def test_acquire_land_needs_land_area():
    project = ProjectFactory(land_area=None)
    assert "用地面积" in refused(project_transition, project=project, name="acquire_land",
                                 effective_date=D(2026, 3, 1))


def test_acquire_land_takes_the_area_from_its_form():
    project = ProjectFactory(land_area=None)
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 3, 1),
                       fields={"land_area": Decimal("80")})
    assert project.status == Status.LAND_ACQUIRED and project.land_area == Decimal("80")


def test_acquire_land_is_refused_for_a_project_that_needs_no_new_land():
    project = ProjectFactory(needs_new_land=False)
    assert "无需新供地" in refused(project_transition, project=project, name="acquire_land",
                                  effective_date=D(2026, 3, 1))


def test_start_from_signed_only_when_no_new_land_is_needed():
    needs_land = ProjectFactory()
    assert "先完成供地" in refused(project_transition, project=needs_land, name="start",
                                 effective_date=D(2026, 3, 1))
    zero_land = ProjectFactory(needs_new_land=False)
    project_transition(project=zero_land, name="start", effective_date=D(2026, 3, 1))
    assert zero_land.status == Status.STARTED


def test_enter_statistics_needs_the_statistics_code():
    project = ProjectFactory(status=Status.STARTED, stats_code="")
    assert "统计库项目代码" in refused(project_transition, project=project, name="enter_statistics",
                                    effective_date=D(2026, 3, 1))
    project_transition(project=project, name="enter_statistics", effective_date=D(2026, 3, 1),
                       fields={"stats_code": "330683001"})
    assert project.status == Status.IN_STATISTICS


def test_full_path_sets_each_nodes_actual_date():
    project = ProjectFactory()
    for name, day in [("acquire_land", D(2026, 2, 1)), ("start", D(2026, 3, 1)),
                      ("enter_statistics", D(2026, 4, 1)), ("start_production", D(2026, 6, 1))]:
        project_transition(project=project, name=name, effective_date=day,
                           fields={"stats_code": "X1"} if name == "enter_statistics" else None)
    assert project.status == Status.IN_PRODUCTION
    actual = dict(project.nodes.values_list("node_type", "actual_date"))
    assert actual == {"sign": D(2026, 1, 15), "land": D(2026, 2, 1), "start": D(2026, 3, 1),
                      "statistics": D(2026, 4, 1), "production": D(2026, 6, 1), "capacity": None}


def test_every_transition_refuses_a_date_before_the_previous_node():
    project = ProjectFactory(signing_date=D(2026, 3, 10))
    assert "不能早于上一节点日期" in refused(project_transition, project=project, name="acquire_land",
                                        effective_date=D(2026, 3, 9))


def test_a_transition_on_the_previous_nodes_date_is_allowed():
    project = ProjectFactory(signing_date=D(2026, 3, 10))
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 3, 10))
    assert project.status == Status.LAND_ACQUIRED


def test_a_transition_from_the_wrong_state_is_refused():
    project = ProjectFactory(status=Status.STARTED)
    assert "不能办理供地" in refused(project_transition, project=project, name="acquire_land",
                                   effective_date=D(2026, 3, 1))


def test_suspend_needs_a_reason_and_resume_restores_the_state():
    project = ProjectFactory(status=Status.STARTED, last_event_date=D(2026, 2, 1))
    assert "原因" in refused(project_transition, project=project, name="suspend", effective_date=D(2026, 3, 1))
    project_transition(project=project, name="suspend", effective_date=D(2026, 3, 1), reason="资金未到位")
    assert project.status == Status.SUSPENDED and project.suspended_from == Status.STARTED
    project_transition(project=project, name="resume", effective_date=D(2026, 4, 1))
    assert project.status == Status.STARTED and project.suspended_from == ""


@pytest.mark.parametrize("status", [Status.NEGOTIATING, Status.AT_CAPACITY, Status.TERMINATED])
def test_suspend_is_only_for_active_or_producing_projects(status):
    project = ProjectFactory(status=status)
    assert "不能办理暂停" in refused(project_transition, project=project, name="suspend",
                                   effective_date=D(2026, 3, 1), reason="x")


def test_terminate_needs_a_reason_and_is_final():
    project = ProjectFactory()
    assert "原因" in refused(project_transition, project=project, name="terminate", effective_date=D(2026, 3, 1))
    project_transition(project=project, name="terminate", effective_date=D(2026, 3, 1), reason="投资方撤资")
    assert project.status == Status.TERMINATED
    for name in ["resume", "sign", "suspend", "terminate"]:
        assert "已终止" in refused(project_transition, project=project, name=name,
                                   effective_date=D(2026, 3, 2), reason="x")


def test_terminate_is_refused_at_capacity():
    project = ProjectFactory(status=Status.AT_CAPACITY)
    assert "不能办理终止" in refused(project_transition, project=project, name="terminate",
                                   effective_date=D(2026, 3, 1), reason="x")


def test_terminate_is_allowed_from_negotiating_and_suspended():
    for status in [Status.NEGOTIATING, Status.SUSPENDED]:
        project = ProjectFactory(status=status)
        project_transition(project=project, name="terminate", effective_date=D(2026, 3, 1), reason="终止")
        assert project.status == Status.TERMINATED


def test_every_transition_is_recorded_with_who_when_and_effective_date():
    user = UserFactory()
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1), user=user, note="摘牌")
    log = project.history.get(transition="acquire_land")
    assert (log.source_state, log.target_state, log.effective_date, log.by, log.note) == (
        Status.SIGNED, Status.LAND_ACQUIRED, D(2026, 2, 1), user, "摘牌")
    assert log.at is not None


def test_revert_last_undoes_the_transition_and_keeps_both_rows():
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1))
    project_revert_last(project=project, reason="录错了")
    assert project.status == Status.SIGNED
    assert project.last_event_date == D(2026, 1, 15)
    assert project.nodes.get(node_type="land").actual_date is None
    rows = list(project.history.values_list("transition", flat=True))
    assert rows == ["acquire_land", "revert"]
    assert project.history.get(transition="acquire_land").reverted_by is not None


def test_revert_needs_a_reason_and_something_to_revert():
    project = ProjectFactory()
    assert "原因" in refused(project_revert_last, project=project, reason="")
    assert "没有可撤销" in refused(project_revert_last, project=project, reason="x")


def test_revert_of_resume_puts_the_project_back_in_suspension():
    project = ProjectFactory(status=Status.STARTED)
    project_transition(project=project, name="suspend", effective_date=D(2026, 3, 1), reason="停工")
    project_transition(project=project, name="resume", effective_date=D(2026, 4, 1))
    project_revert_last(project=project, reason="误操作")
    assert project.status == Status.SUSPENDED and project.suspended_from == Status.STARTED


def test_a_stale_expected_state_is_a_conflict():
    project = ProjectFactory()
    with pytest.raises(TransitionConflict):
        project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1),
                           expected_status=Status.NEGOTIATING)


def test_status_cannot_be_written_directly():
    project = ProjectFactory()
    with pytest.raises(AttributeError):
        project.status = Status.STARTED


def test_create_with_a_signing_date_signs_through_the_guard():
    unit = UnitFactory()
    project = project_create(code="N1", name="新项目", investor="某公司", total_investment=Decimal("15000"),
                             currency="CNY", is_manufacturing=True, cluster="高端装备", responsible_unit=unit,
                             land_area=Decimal("30"), signing_date=D(2026, 6, 1))
    assert project.status == Status.SIGNED
    assert list(project.history.values_list("transition", flat=True)) == ["create", "sign"]
    assert Node.objects.filter(project=project).count() == 6  # sign … production, and 达产


def test_create_refused_whole_when_the_sign_guard_fails():
    unit = UnitFactory()
    with pytest.raises(TransitionRefused):
        project_create(code="N2", name="新项目", investor="某公司", total_investment=Decimal("15000"),
                       is_manufacturing=None, cluster="高端装备", responsible_unit=unit,
                       signing_date=D(2026, 6, 1))
    from projects.models import Project
    assert not Project.objects.filter(code="N2").exists()
    assert not TransitionLog.objects.filter(project__code="N2").exists()


def test_an_edit_cannot_drop_a_recorded_land_node():
    """Section 3: `land` applies only when new land is needed; once its date is recorded, an edit
    saying "no new land" would erase it, so it is refused (a wrong entry is undone by 撤销)."""
    from django.core.exceptions import ValidationError

    from projects.services import project_update

    project = ProjectFactory(status=Status.STARTED, actual={"land": D(2026, 2, 1), "start": D(2026, 3, 1)})
    with pytest.raises(ValidationError) as exc:
        project_update(project=project, needs_new_land=False)
    assert "不能改为无需新供地" in str(exc.value)
    assert project.nodes.filter(node_type="land").exists()


def test_an_edit_refuses_fields_it_may_not_change():
    from django.core.exceptions import ValidationError

    from projects.services import project_update

    with pytest.raises(ValidationError):
        project_update(project=ProjectFactory(), signing_date=D(2026, 1, 1))


def test_the_project_code_is_stable_after_creation():
    """Section 2: 项目编号 is how a ledger row, a report line and an API object are matched."""
    from django.core.exceptions import ValidationError

    from projects.services import project_update

    project = ProjectFactory(code="KEEP-1")
    with pytest.raises(ValidationError):
        project_update(project=project, code="OTHER-1")
    project.refresh_from_db()
    assert project.code == "KEEP-1"
