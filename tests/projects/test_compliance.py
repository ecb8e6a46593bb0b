"""DOMAIN.md section 10: the 标准地 agreed indicators, the 达产复核 values, met / not met / not
reviewed per indicator and per project."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects import compliance
from projects.models import Project, Status
from projects.services import capacity_review, project_create, project_update
from tests.factories import ProjectFactory, UnitFactory

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today_is_30_june_2026():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
                             tick=False):
        yield


def check(**values):
    values.setdefault("land_area", Decimal("50"))
    return compliance.evaluate({k: (Decimal(str(v)) if isinstance(v, (int, float)) else v) for k, v in values.items()})


def indicator(result, key):
    return result["indicators"][key]


# --- one indicator ---------------------------------------------------------------------------------


def test_an_indicator_exactly_at_its_agreed_value_is_met():
    # 10000 万元 over 50 亩 is exactly the agreed 200 万元/亩.
    result = check(agreed_investment_intensity=200, actual_fixed_investment=10000)
    assert indicator(result, "investment_intensity")["actual"] == 200
    assert indicator(result, "investment_intensity")["met"] is True
    assert indicator(result, "investment_intensity")["shortfall"] == 0


def test_an_indicator_below_its_agreed_value_is_not_met_and_its_shortfall_is_actual_minus_agreed_over_agreed():
    result = check(agreed_tax_per_mu=40, actual_yearly_tax=1500)  # 30 万元/亩 against 40
    item = indicator(result, "tax_per_mu")
    assert (item["actual"], item["met"], item["shortfall"]) == (30, False, Decimal("-0.25"))


def test_per_mu_figures_are_the_recorded_amounts_divided_by_the_land_area():
    result = check(land_area=Decimal("30"), agreed_output_per_mu=500, actual_yearly_output=16000)
    assert indicator(result, "output_per_mu")["actual"] == Decimal(16000) / Decimal(30)
    assert indicator(result, "output_per_mu")["met"] is True


def test_plot_ratio_is_met_at_or_above_the_agreed_value():
    assert indicator(check(agreed_plot_ratio=1.2, actual_plot_ratio=1.2), "plot_ratio")["met"] is True
    assert indicator(check(agreed_plot_ratio=1.2, actual_plot_ratio=1.19), "plot_ratio")["met"] is False


def test_energy_use_is_met_at_or_below_the_agreed_value():
    assert indicator(check(agreed_energy_per_output=0.08, actual_energy_per_output=0.08),
                     "energy_per_output")["met"] is True
    assert indicator(check(agreed_energy_per_output=0.08, actual_energy_per_output=0.05),
                     "energy_per_output")["met"] is True
    over = indicator(check(agreed_energy_per_output=0.08, actual_energy_per_output=0.1), "energy_per_output")
    assert over["met"] is False and over["shortfall"] == Decimal("0.25")


def test_an_indicator_without_its_actual_value_is_not_judged():
    item = indicator(check(agreed_plot_ratio=1.2), "plot_ratio")
    assert (item["actual"], item["met"], item["shortfall"]) == (None, None, None)


def test_only_agreed_indicators_are_judged():
    result = check(agreed_plot_ratio=1.2, actual_plot_ratio=2, actual_yearly_tax=100)
    assert list(result["indicators"]) == ["plot_ratio"]


# --- the project's verdict ---------------------------------------------------------------------------


def test_a_project_is_met_when_every_agreed_indicator_is_met():
    result = check(agreed_investment_intensity=200, agreed_energy_per_output=0.1,
                   actual_fixed_investment=12000, actual_energy_per_output=0.1)
    assert (result["met"], result["verdict"]) == (True, "达标")


def test_a_project_is_not_met_when_any_indicator_is_not():
    result = check(agreed_investment_intensity=200, agreed_plot_ratio=1.5,
                   actual_fixed_investment=12000, actual_plot_ratio=1.2)
    assert (result["met"], result["verdict"]) == (False, "未达标")


def test_a_project_is_not_reviewed_while_any_actual_value_is_missing_even_with_a_known_miss():
    result = check(agreed_investment_intensity=200, agreed_plot_ratio=1.5, actual_plot_ratio=1.2)
    assert (result["met"], result["verdict"]) == (None, "未复核")


def test_a_review_recorded_after_the_as_of_date_does_not_count_yet():
    values = {"agreed_plot_ratio": Decimal("1.2"), "actual_plot_ratio": Decimal("1.5"),
              "capacity_reviewed_on": D(2026, 6, 1)}
    assert compliance.evaluate(values, as_of=D(2026, 6, 1))["met"] is True
    assert compliance.evaluate(values, as_of=D(2026, 5, 31))["met"] is None


# --- a project without a land area ---------------------------------------------------------------------


def test_a_project_without_land_area_cannot_agree_per_mu_indicators():
    unit = UnitFactory()
    with pytest.raises(ValidationError) as exc:
        project_create(code="Z1", name="技改", investor="某公司", responsible_unit=unit, needs_new_land=False,
                       agreed_tax_per_mu=Decimal("30"))
    assert "不能约定按亩计算的指标：亩均税收" in " ".join(exc.value.messages)
    assert not Project.objects.filter(code="Z1").exists()


def test_a_project_without_land_area_may_agree_plot_ratio_and_energy_use():
    project = project_create(code="Z2", name="技改", investor="某公司", responsible_unit=UnitFactory(),
                             needs_new_land=False, agreed_plot_ratio=Decimal("1.5"),
                             agreed_energy_per_output=Decimal("0.05"))
    assert [i.key for i in compliance.agreed_indicators(project.__dict__)] == ["plot_ratio", "energy_per_output"]


def test_clearing_the_land_area_of_a_project_with_per_mu_indicators_is_refused():
    project = ProjectFactory(agreed_investment_intensity=Decimal("300"))
    with pytest.raises(ValidationError):
        project_update(project=project, land_area=None)


def test_the_database_refuses_per_mu_indicators_without_a_land_area():
    project = ProjectFactory(land_area=None, needs_new_land=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(agreed_output_per_mu=Decimal("100"))


def test_agreed_indicators_must_be_above_zero():
    project = ProjectFactory()
    with pytest.raises(ValidationError) as exc:
        project_update(project=project, agreed_plot_ratio=Decimal("0"))
    assert "约定指标必须大于 0" in " ".join(exc.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(agreed_plot_ratio=Decimal("0"))


def test_recorded_values_cannot_be_negative():
    project = ProjectFactory(status=Status.IN_PRODUCTION)
    with pytest.raises(ValidationError) as exc:
        capacity_review(project=project, reviewed_on=D(2026, 6, 1), values={"actual_yearly_tax": Decimal("-1")})
    assert "复核数值不能为负数" in " ".join(exc.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(actual_yearly_tax=Decimal("-1"))


# --- 达产复核 ---------------------------------------------------------------------------------------


def test_capacity_review_records_the_values_and_a_dated_note():
    project = ProjectFactory(status=Status.IN_PRODUCTION, agreed_tax_per_mu=Decimal("30"))
    capacity_review(project=project, reviewed_on=D(2026, 6, 20), values={"actual_yearly_tax": Decimal("1600")})
    assert (project.actual_yearly_tax, project.capacity_reviewed_on) == (Decimal("1600"), D(2026, 6, 20))
    assert project.compliance_check()["met"] is True
    note = project.progress_notes.get()
    assert "达产复核（2026-06-20）" in note.text and "年税收（万元） 1600" in note.text and "达标" in note.text


@pytest.mark.parametrize("status", [Status.SIGNED, Status.IN_STATISTICS, Status.TERMINATED])
def test_capacity_review_is_only_for_projects_in_production_or_at_capacity(status):
    project = ProjectFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        capacity_review(project=project, reviewed_on=D(2026, 6, 1), values={"actual_plot_ratio": Decimal("1")})
    assert "投产后才能达产复核" in " ".join(exc.value.messages)


def test_capacity_review_refuses_a_future_date():
    project = ProjectFactory(status=Status.AT_CAPACITY)
    with pytest.raises(ValidationError) as exc:
        capacity_review(project=project, reviewed_on=D(2026, 7, 1), values={})
    assert "不能晚于今天" in " ".join(exc.value.messages)
