"""The 标准地 agreement checked at 达产 (亩均论英雄, DOMAIN.md section 10): one rule, one function.

Everything here works on plain values (a Project, or a `.values()` row of one), so the project page,
the transition guard, the report, the API and the bulletin all judge an indicator the same way.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Case, DecimalField, F, FloatField, Func, Q, Value, When
from django.db.models.functions import Cast, Round
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual


@dataclass(frozen=True)
class Indicator:
    key: str  # the JSON key of DOMAIN.md section 11's report_compliance contract
    label: str
    unit: str
    agreed_field: str
    actual_field: str  # the value recorded at 达产复核 (per 亩 only after dividing by the land area)
    actual_label: str
    per_mu: bool  # divided by the land area; cannot be agreed without one
    at_most: bool = False  # met when actual ≤ agreed (单位能耗) instead of ≥


INDICATORS = (
    Indicator("investment_intensity", "投资强度", "万元/亩", "agreed_investment_intensity",
              "actual_fixed_investment", "固定资产投资（万元）", per_mu=True),
    Indicator("tax_per_mu", "亩均税收", "万元/亩·年", "agreed_tax_per_mu",
              "actual_yearly_tax", "年税收（万元）", per_mu=True),
    Indicator("output_per_mu", "亩均产值", "万元/亩·年", "agreed_output_per_mu",
              "actual_yearly_output", "年产值（万元）", per_mu=True),
    Indicator("plot_ratio", "容积率", "", "agreed_plot_ratio", "actual_plot_ratio", "容积率", per_mu=False),
    Indicator("energy_per_output", "单位能耗", "吨标煤/万元", "agreed_energy_per_output",
              "actual_energy_per_output", "单位能耗（吨标煤/万元）", per_mu=False, at_most=True),
)
INDICATOR_BY_KEY = {indicator.key: indicator for indicator in INDICATORS}
AGREED_FIELDS = tuple(indicator.agreed_field for indicator in INDICATORS)
ACTUAL_FIELDS = tuple(indicator.actual_field for indicator in INDICATORS)
PER_MU_AGREED_FIELDS = tuple(indicator.agreed_field for indicator in INDICATORS if indicator.per_mu)
REVIEW_FIELDS = (*ACTUAL_FIELDS, "capacity_reviewed_on")

VERDICT_LABELS = {True: "达标", False: "未达标", None: "未复核"}


def has_land_area(land_area) -> bool:
    return land_area is not None and land_area > 0


def per_mu_agreement_problems(values: Mapping) -> list[str]:
    """Section 10: a project without a land area (零土地技改) cannot agree per-亩 indicators; only
    容积率 and 单位能耗 apply to it."""
    if has_land_area(values.get("land_area")):
        return []
    agreed = [i.label for i in INDICATORS if i.per_mu and values.get(i.agreed_field) is not None]
    if not agreed:
        return []
    return [f"未填写用地面积（亩）的项目不能约定按亩计算的指标：{'、'.join(agreed)}（只能约定容积率、单位能耗）"]


def agreed_indicators(values: Mapping) -> list[Indicator]:
    return [i for i in INDICATORS if values.get(i.agreed_field) is not None]


def has_agreement(values: Mapping) -> bool:
    return bool(agreed_indicators(values))


def missing_actuals(values: Mapping) -> list[Indicator]:
    """The agreed indicators whose 达产复核 value is not recorded yet."""
    return [i for i in agreed_indicators(values) if values.get(i.actual_field) is None]


def capacity_review_problems(values: Mapping) -> list[str]:
    """Section 10's guard on reach_capacity: where indicators were agreed, their actual values must
    be recorded (达产复核) first."""
    missing = missing_actuals(values)
    if not missing:
        return []
    return [f"该项目约定了标准地指标，达产前须先完成达产复核，填写：{'、'.join(i.actual_label for i in missing)}"]


def actual_value(indicator: Indicator, recorded, land_area) -> Decimal | None:
    """Section 10: the per-亩 figures are the recorded amount ÷ the land area (用地面积); 容积率 and
    单位能耗 are taken as recorded. None while not recorded (or, per 亩, without a land area)."""
    if recorded is None:
        return None
    if not indicator.per_mu:
        return Decimal(recorded)
    if not has_land_area(land_area):
        return None
    return Decimal(recorded) / Decimal(land_area)


def indicator_met(indicator: Indicator, *, agreed, actual) -> bool | None:
    """Section 10: met when actual ≥ agreed (投资强度, 亩均税收, 亩均产值, 容积率), or actual ≤ agreed
    (单位能耗); exactly the agreed value is met. None while the actual value is missing."""
    if actual is None or agreed is None:
        return None
    return actual <= agreed if indicator.at_most else actual >= agreed


def shortfall(*, agreed, actual) -> Decimal | None:
    """Section 10: each shortfall reported as (actual − agreed) ÷ agreed (negative for 投资强度 …
    when short, positive for 单位能耗 when over)."""
    if actual is None or not agreed:
        return None
    return (Decimal(actual) - Decimal(agreed)) / Decimal(agreed)


def project_verdict(results: list[bool | None]) -> bool | None:
    """Section 10, for a project with agreed indicators: 未复核 (None) while any actual value is
    missing, else 达标 (True) when every indicator is met and 未达标 (False) when any is not.
    A missing value wins over a known miss: the verdict is given on a complete review only."""
    if None in results:
        return None
    return all(results)


def evaluate(values: Mapping, *, as_of: datetime.date | None = None) -> dict:
    """Every agreed indicator of one project judged, and the project's verdict.

    `values` holds the project's land_area, agreed_* and actual_* fields and capacity_reviewed_on.
    As of a date, a review recorded after it does not count yet (its values are treated as missing).
    Returns {"met": True|False|None, "verdict": label, "indicators": {key: {...}}} in the order of
    INDICATORS; only agreed indicators appear."""
    reviewed_on = values.get("capacity_reviewed_on")
    counted = as_of is None or (reviewed_on is not None and reviewed_on <= as_of)
    land_area = values.get("land_area")
    indicators = {}
    for indicator in agreed_indicators(values):
        agreed = Decimal(values[indicator.agreed_field])
        actual = actual_value(indicator, values.get(indicator.actual_field), land_area) if counted else None
        indicators[indicator.key] = {
            "label": indicator.label,
            "unit": indicator.unit,
            "agreed": agreed,
            "actual": actual,
            "met": indicator_met(indicator, agreed=agreed, actual=actual),
            "shortfall": shortfall(agreed=agreed, actual=actual),
        }
    if not indicators:
        return {"met": None, "verdict": "未约定", "indicators": {}}
    met = project_verdict([item["met"] for item in indicators.values()])
    return {"met": met, "verdict": VERDICT_LABELS[met], "indicators": indicators}


# --- the same rules in SQL, for reports over many projects ---------------------------------------------
# A report judges thousands of projects: the database applies the rules above in the query instead of
# Python row by row (bench/compliance.py). Each expression is the twin of the function it names, and
# tests/projects/test_compliance_sql.py checks that both judge the same values alike.


class ReadyFloat(FloatField):
    """A column the database already returns as a float (a cast to double precision, or REAL): Django
    would still call float() on every value, a tenth of report_compliance's time at 100,000 projects.
    Only for an expression's output_field, never a model field or a Cast target."""

    def get_internal_type(self):
        return "ReadyFloatField"


class Quotient(Func):
    """a ÷ b: exact on PostgreSQL (numeric); on SQLite, which keeps whole decimals as integers and
    would divide 10001 by 50 as 200, the dividend is made real first."""

    template = "(%(expressions)s)"
    arg_joiner = " / "
    output_field = DecimalField()

    def as_sqlite(self, compiler, connection, **extra_context):
        dividend, divisor = self.get_source_expressions()
        real = self.copy()
        real.set_source_expressions([Cast(dividend, FloatField()), divisor])
        return Func.as_sql(real, compiler, connection, **extra_context)


class _Whole(Func):
    """The value × 10^places (at least its column's decimals) as a whole number on SQLite, which holds
    1.2 as a binary fraction: rounded there, a comparison at the agreed value is exact. PostgreSQL's
    numeric is exact already and compares the value itself."""

    template = "%(expressions)s"

    def __init__(self, expression, places: int):
        super().__init__(expression, output_field=DecimalField())
        self.places = places

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"ROUND(({sql}) * {10 ** self.places})", params


def _counted(as_of: datetime.date) -> Q:
    """evaluate's as-of rule: a review recorded after `as_of` does not count yet."""
    return Q(capacity_reviewed_on__lte=as_of)


def _has_actual(indicator: Indicator, as_of: datetime.date) -> Q:
    """actual_value is not None: recorded, counted as of the date, and per 亩 only with a land area."""
    q = _counted(as_of) & Q(**{f"{indicator.actual_field}__isnull": False})
    return q & Q(land_area__gt=0) if indicator.per_mu else q


def actual_value_sql(indicator: Indicator, as_of: datetime.date):
    """SQL twin of actual_value (with evaluate's as-of rule), rounded to 4 decimals as the reports print it."""
    recorded = F(indicator.actual_field)
    value = Quotient(recorded, F("land_area")) if indicator.per_mu else recorded
    return Case(When(_has_actual(indicator, as_of), then=Cast(Round(value, 4), FloatField())),
                output_field=ReadyFloat())


def _met_comparison(indicator: Indicator):
    """recorded ≥ agreed (≤ for 单位能耗); per 亩, recorded ≥ agreed × land area, which needs no rounded
    quotient. In whole units of the columns' last decimal, so exactly the agreed value compares equal."""
    recorded, agreed = _Whole(F(indicator.actual_field), 4), _Whole(F(indicator.agreed_field), 4)
    if indicator.per_mu:  # 万元 (4 decimals) against 万元/亩 (4) × 亩 (2): both sides in millionths
        recorded, agreed = _Whole(F(indicator.actual_field), 6), agreed * _Whole(F("land_area"), 2)
    return (LessThanOrEqual if indicator.at_most else GreaterThanOrEqual)(recorded, agreed)


def _judged(indicator: Indicator, as_of: datetime.date) -> Q:
    return Q(**{f"{indicator.agreed_field}__isnull": False}) & _has_actual(indicator, as_of)


def indicator_met_sql(indicator: Indicator, as_of: datetime.date):
    """SQL twin of indicator_met: True or False where the indicator has an actual value, else None."""
    judged = _judged(indicator, as_of)
    return Case(When(judged & Q(_met_comparison(indicator)), then=Value(True)), When(judged, then=Value(False)),
                output_field=BooleanField())


def shortfall_sql(indicator: Indicator, as_of: datetime.date):
    """SQL twin of shortfall: (actual − agreed) ÷ agreed, rounded to 4 decimals."""
    agreed = F(indicator.agreed_field)
    recorded = F(indicator.actual_field)
    actual = Quotient(recorded, F("land_area")) if indicator.per_mu else recorded
    return Case(When(_judged(indicator, as_of) & Q(**{f"{indicator.agreed_field}__gt": 0}),
                     then=Cast(Round(Quotient(actual - agreed, agreed), 4), FloatField())),
                output_field=ReadyFloat())
