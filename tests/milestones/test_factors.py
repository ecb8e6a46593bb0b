"""DOMAIN.md section 11: 要素保障 — needed-by dates, 已保障 / 预警 / 逾期未保障, totals, the problem
of an overdue need, the responsible unit by type and the dated records of what was secured."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from milestones import factor_services
from milestones.factor_selectors import FactorStatus, annotate_needs, factor_totals, report_factors
from milestones.models import FactorNeed, FactorRule, FactorSecured
from projects.models import Problem, Status, Unit
from projects.services import project_update
from tests.factories import ProjectFactory, UnitFactory

D = datetime.date
AS_OF = D(2026, 6, 30)
FAR = {"land": D(2030, 1, 1), "start": D(2030, 4, 1), "statistics": D(2030, 5, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def need(factor_type="land", needed=100, secured=0, *, planned=None, needed_by=None, project=None, **project_kwargs):
    """A need of a project whose nodes are far away unless `planned` moves one of them."""
    project = project or ProjectFactory(planned={**FAR, **(planned or {})}, **project_kwargs)
    result = factor_services.need_set(project=project, factor_type=factor_type, needed=needed, needed_by=needed_by)
    if secured:
        factor_services.need_record_secured(need=result, amount=secured, secured_on=AS_OF, document="测试文件")
    return result


def status_of(n, as_of=AS_OF):
    return annotate_needs(FactorNeed.objects.filter(pk=n.pk), as_of=as_of).get()


def days(n):
    return AS_OF + datetime.timedelta(days=n)


# --- 已保障, gap, 预警, 逾期未保障 -----------------------------------------------------------------------


def test_a_need_secured_exactly_is_secured():
    n = need(needed=100, secured=100, planned={"land": days(-10)})
    assert (status_of(n).status, status_of(n).gap) == (FactorStatus.SECURED, 0)


def test_a_need_secured_beyond_what_it_needs_is_secured_with_no_gap():
    n = need(needed=100, secured=120, planned={"land": days(-10)})
    assert (status_of(n).status, status_of(n).gap) == (FactorStatus.SECURED, 0)


def test_the_gap_is_needed_minus_secured():
    n = need(needed=100, secured=Decimal("37.5"))
    assert status_of(n).gap == Decimal("62.5")


def test_a_need_due_today_is_at_risk_not_overdue():
    n = need(planned={"land": AS_OF})
    assert status_of(n).status == FactorStatus.AT_RISK


def test_a_need_due_in_30_days_is_at_risk():
    n = need(planned={"land": days(30)})
    assert status_of(n).status == FactorStatus.AT_RISK


def test_a_need_due_in_31_days_is_not_yet_at_risk():
    n = need(planned={"land": days(31)})
    assert status_of(n).status == FactorStatus.OPEN


def test_a_need_due_yesterday_with_a_gap_is_overdue():
    n = need(needed=100, secured=99, planned={"land": days(-1)})
    annotated = status_of(n)
    assert (annotated.status, annotated.days, annotated.gap) == (FactorStatus.OVERDUE, 1, 1)


def test_only_active_projects_have_a_status():
    n = need(planned={"land": days(-5)}, status=Status.IN_PRODUCTION)
    assert status_of(n).status == FactorStatus.INACTIVE


@pytest.mark.parametrize("status", [Status.SIGNED, Status.LAND_ACQUIRED, Status.STARTED, Status.IN_STATISTICS])
def test_every_active_state_from_signed_to_in_statistics_has_a_status(status):
    n = need(planned={"land": days(-5)}, status=status)
    assert status_of(n).status == FactorStatus.OVERDUE


# --- the needed-by date -----------------------------------------------------------------------------


def test_a_land_need_is_needed_by_the_land_nodes_planned_date():
    n = need("land", planned={"land": D(2026, 9, 1)})
    assert status_of(n).needed_by == D(2026, 9, 1)


def test_a_no_land_projects_land_need_is_needed_by_the_start_nodes_planned_date():
    planned = {k: v for k, v in FAR.items() if k != "land"}
    project = ProjectFactory(needs_new_land=False, land_area=None, planned={**planned, "start": D(2026, 8, 1)})
    n = need("land", project=project)
    assert status_of(n).needed_by == D(2026, 8, 1)


def test_an_energy_need_is_needed_by_the_production_nodes_planned_date():
    n = need("energy", planned={"production": D(2027, 3, 1)})
    assert status_of(n).needed_by == D(2027, 3, 1)


def test_a_funds_need_is_needed_by_the_start_nodes_planned_date():
    n = need("funds", planned={"start": D(2026, 12, 1)})
    assert status_of(n).needed_by == D(2026, 12, 1)


def test_the_needed_by_date_follows_the_nodes_planned_date_when_it_changes():
    n = need("land", planned={"land": D(2026, 9, 1)})
    project_update(project=n.project, planned_dates={"land": D(2026, 10, 15)})
    assert status_of(n).needed_by == D(2026, 10, 15)


def test_a_needed_by_date_set_by_hand_no_longer_follows_the_node():
    n = need("land", planned={"land": D(2026, 9, 1)})
    factor_services.need_set_needed_by(need=n, needed_by=D(2026, 8, 20))
    project_update(project=n.project, planned_dates={"land": D(2026, 10, 15)})
    assert status_of(n).needed_by == D(2026, 8, 20)


def test_clearing_the_date_set_by_hand_makes_it_follow_the_node_again():
    n = need("land", planned={"land": D(2026, 9, 1)}, needed_by=D(2026, 8, 20))
    factor_services.need_set_needed_by(need=n, needed_by=None)
    assert status_of(n).needed_by == D(2026, 9, 1)


# --- totals -----------------------------------------------------------------------------------------


def test_totals_over_active_projects_sum_needed_secured_and_only_positive_gaps():
    need("land", needed=100, secured=40)  # gap 60
    need("land", needed=50, secured=80)  # over-secured: its -30 does not reduce the total gap
    need("land", needed=999, status=Status.IN_PRODUCTION)  # not active: left out
    need("funds", needed=Decimal("12.5"))
    totals = factor_totals()
    assert totals["land"] == {"needed": 150, "secured": 120, "gap": 60}
    assert totals["funds"] == {"needed": Decimal("12.5"), "secured": 0, "gap": Decimal("12.5")}
    assert totals["energy"] == {"needed": 0, "secured": 0, "gap": 0}


# --- the responsible unit -----------------------------------------------------------------------------


@pytest.mark.parametrize("factor_type, unit", [("land", "市自然资源局"), ("energy", "市发改局"), ("funds", "市财政局")])
def test_a_need_is_owned_by_its_types_default_unit(factor_type, unit):
    assert need(factor_type).responsible_unit.name == unit


def test_a_type_without_a_configured_unit_falls_to_the_projects_own_unit():
    FactorRule.objects.filter(factor_type="energy").update(default_unit=None)
    n = need("energy")
    assert n.responsible_unit == n.project.responsible_unit


def test_changing_a_types_default_unit_moves_its_needs():
    n = need("energy")
    rule = FactorRule.objects.get(factor_type="energy")
    rule.default_unit = Unit.objects.get(name="市经信局")
    rule.save()
    factor_services.rule_apply_unit(rule=rule)
    n.refresh_from_db()
    assert n.responsible_unit.name == "市经信局"


# --- what was secured: dated records, append-only ------------------------------------------------------


def test_each_increase_is_a_dated_record_with_who_how_much_and_the_document(django_user_model):
    user = django_user_model.objects.create(username="u1")
    n = need(needed=100)
    factor_services.need_record_secured(need=n, amount=30, secured_on=D(2026, 6, 1), document="嵊土字〔2026〕12号",
                                        user=user)
    factor_services.need_record_secured(need=n, amount=20, secured_on=D(2026, 6, 20), document="嵊土字〔2026〕15号")
    n.refresh_from_db()
    assert n.secured == 50
    assert list(n.records.values_list("amount", "secured_on", "document", "by__username")) == [
        (30, D(2026, 6, 1), "嵊土字〔2026〕12号", "u1"), (20, D(2026, 6, 20), "嵊土字〔2026〕15号", None)]


@pytest.mark.parametrize("amount, secured_on, document, field", [
    (0, AS_OF, "文件", "amount"), (-5, AS_OF, "文件", "amount"), (10, days(1), "文件", "secured_on"),
    (10, AS_OF, "  ", "document"),
])
def test_an_increase_needs_a_positive_amount_a_date_not_in_the_future_and_a_document(amount, secured_on, document,
                                                                                   field):
    n = need()
    with pytest.raises(ValidationError) as caught:
        factor_services.need_record_secured(need=n, amount=amount, secured_on=secured_on, document=document)
    assert field in caught.value.message_dict
    assert not FactorSecured.objects.exists()


def test_the_database_refuses_a_record_without_a_document_or_a_need_without_an_amount():
    n = need()
    with pytest.raises(IntegrityError), transaction.atomic():
        FactorSecured.objects.create(need=n, amount=1, secured_on=AS_OF, document="")
    with pytest.raises(IntegrityError), transaction.atomic():
        FactorNeed.objects.filter(pk=n.pk).update(needed=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        FactorNeed.objects.create(project=n.project, factor_type="land", needed=5)


def test_a_need_of_zero_is_refused_in_chinese():
    with pytest.raises(ValidationError, match="需求量须大于 0"):
        need(needed=0)


# --- the problem of an overdue need (section 7 takes over) -------------------------------------------


def test_a_need_that_falls_overdue_opens_one_problem_of_its_type_assigned_to_its_unit():
    n = need("energy", needed=5000, secured=1000, planned={"production": days(30)})
    assert not Problem.objects.exists()
    opened = factor_services.open_overdue_problems(as_of=days(31))
    [problem] = opened
    assert (problem.category, problem.assigned_unit.name, problem.raised_on) == ("energy", "市发改局", days(31))
    assert "缺口 4000吨标煤/年" in problem.description
    n.refresh_from_db()
    assert n.problem == problem and n.problem_opened_for == days(30)


def test_a_funds_need_opens_a_funding_problem():
    need("funds", planned={"start": days(-3)})
    assert list(Problem.objects.values_list("category", flat=True)) == ["funding"]


def test_the_problem_is_opened_once_per_needed_by_date():
    n = need("land", planned={"land": days(-3)})
    factor_services.open_overdue_problems(as_of=AS_OF)
    factor_services.open_overdue_problems(as_of=days(7))
    assert Problem.objects.count() == 1
    factor_services.need_set_needed_by(need=n, needed_by=days(10))
    assert factor_services.open_overdue_problems(as_of=days(11))
    assert Problem.objects.count() == 2


def test_a_change_that_makes_a_need_overdue_opens_its_problem_at_once():
    n = need("land", planned={"land": days(40)})
    assert not Problem.objects.exists()
    project_update(project=n.project, planned_dates={"land": days(-2)})
    assert Problem.objects.filter(category="land").count() == 1


def test_setting_the_needed_by_date_in_the_past_opens_the_problem():
    n = need("funds")
    factor_services.need_set_needed_by(need=n, needed_by=days(-1))
    assert Problem.objects.filter(category="funding").count() == 1


def test_a_secured_or_inactive_need_opens_no_problem():
    need("land", needed=10, secured=10, planned={"land": days(-3)})
    need("land", planned={"land": days(-3)}, status=Status.SUSPENDED)
    assert factor_services.open_overdue_problems(as_of=AS_OF) == []


def test_open_factor_problems_command_is_idempotent(capsys):
    from django.core.management import call_command

    from audit.evidence import purge_allowed
    from notifications.models import Notification

    need("land", planned={"land": days(-3)})
    # The problem's notifications protect it (and are evidence): the test lifts both to start over.
    with purge_allowed(Notification):
        Notification.objects.filter(problem__isnull=False).delete()
        Problem.objects.all().delete()
    FactorNeed.objects.update(problem_opened_for=None)
    call_command("open_factor_problems", "--as-of", AS_OF.isoformat())
    call_command("open_factor_problems", "--as-of", AS_OF.isoformat())
    assert Problem.objects.count() == 1
    assert "新建 1 个" in capsys.readouterr().out


# --- the report_factors contract ----------------------------------------------------------------------


def test_report_factors_lists_at_risk_and_overdue_needs_most_urgent_first():
    need("land", needed=100, secured=10, planned={"land": days(-3)}, code="A1")
    need("funds", needed=500, planned={"start": days(-20)}, code="A2")
    need("energy", needed=80, planned={"production": days(5)}, code="A3")
    need("land", needed=40, planned={"land": days(2)}, code="A4")
    need("land", needed=40, secured=40, planned={"land": days(-9)}, code="A5")
    report = report_factors(as_of=AS_OF)
    assert report["as_of"] == "2026-06-30"
    assert [(i["project"], i["type"]) for i in report["overdue"]] == [("A2", "funds"), ("A1", "land")]
    assert [(i["project"], i["type"]) for i in report["at_risk"]] == [("A4", "land"), ("A3", "energy")]
    first = report["overdue"][1]
    assert {k: first[k] for k in ("project", "type", "needed", "secured", "gap", "needed_by")} == {
        "project": "A1", "type": "land", "needed": 100, "secured": 10, "gap": 90, "needed_by": "2026-06-27"}
    assert report["totals"]["land"] == {"needed": 180, "secured": 50, "gap": 130}
    assert set(report["totals"]) == {"land", "energy", "funds"}


def test_report_factors_command_prints_the_json_and_writes_pdf_and_xlsx(tmp_path, capsys):
    import io
    import json

    from django.core.management import call_command

    need("land", needed=100, secured=10, planned={"land": days(-3)}, code="A1")
    need("energy", needed=80, planned={"production": days(5)}, code="A3")
    out = io.StringIO()
    call_command("report_factors", "--as-of", "2026-06-30", stdout=out)
    report = json.loads(out.getvalue())
    assert [i["project"] for i in report["overdue"]] == ["A1"] and report["totals"]["land"]["gap"] == 90
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
        path = tmp_path / f"r.{fmt}"
        call_command("report_factors", "--as-of", "2026-06-30", "--format", fmt, "--output", str(path),
                     stderr=io.StringIO())
        assert path.read_bytes().startswith(magic)
