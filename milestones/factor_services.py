"""Writes about 要素保障 (DOMAIN.md section 11): state a need, record what was secured, set a
needed-by date by hand, and open the problem of a need that fell overdue."""

import datetime
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery

from projects.models import Problem, Project, local_today

from .factor_selectors import overdue_needs
from .models import FACTOR_UNITS, FactorNeed, FactorRule, FactorSecured, FactorType

logger = logging.getLogger(__name__)

LEDGER_DOCUMENT = "项目台账导入"


def factor_rules() -> dict[str, FactorRule]:
    return {rule.factor_type: rule for rule in FactorRule.objects.select_related("default_unit")}


def factor_unit(project: Project, rule: FactorRule | None):
    """Section 11: the type's configured unit, else the project's own responsible unit."""
    if rule is not None and rule.default_unit_id is not None:
        return rule.default_unit
    return project.responsible_unit


def _positive(value, label) -> Decimal:
    if value is None or Decimal(value) <= 0:
        raise ValidationError({"amount": f"{label}须大于 0"})
    return Decimal(value)


@transaction.atomic
def need_set(*, project: Project, factor_type: str, needed, needed_by=None, today=None,
             rules=None) -> FactorNeed:
    """State (or change) how much of a factor a project needs. `needed_by` is a date set by hand;
    None leaves the date following its node. A change that leaves the need overdue opens its problem."""
    need = need_write(project=project, factor_type=factor_type, needed=needed, needed_by=needed_by,
                      keep_date=needed_by is None, rules=rules)
    open_overdue_problems(as_of=today or local_today(), projects=[project.pk])
    return need


def need_write(*, project: Project, factor_type: str, needed, needed_by=None, keep_date=False,
               rules=None) -> FactorNeed:
    """Create or update the (project, type) need in the caller's transaction: the amount, the date
    set by hand (`keep_date` leaves the current one) and the unit by the type's rule."""
    if factor_type not in FactorType.values:
        raise ValidationError({"factor_type": f"未知的要素类型：{factor_type}"})
    rules = rules if rules is not None else factor_rules()
    needed = _positive(needed, "需求量")
    need = FactorNeed.objects.select_for_update().filter(project=project, factor_type=factor_type).first()
    if need is None:
        need = FactorNeed(project=project, factor_type=factor_type)
    need.needed = needed
    if not keep_date:
        need.needed_by_set = needed_by
    need.responsible_unit = factor_unit(project, rules.get(factor_type))
    need.full_clean(exclude=["project"])
    need.save()
    return need


@transaction.atomic
def need_set_needed_by(*, need: FactorNeed, needed_by: datetime.date | None, today=None) -> FactorNeed:
    """Set the needed-by date by hand, or clear it (None) so it follows the node again."""
    FactorNeed.objects.filter(pk=need.pk).update(needed_by_set=needed_by)
    need.needed_by_set = needed_by
    open_overdue_problems(as_of=today or local_today(), projects=[need.project_id])
    return need


@transaction.atomic
def need_record_secured(*, need: FactorNeed, amount, secured_on: datetime.date, document: str, user=None,
                        today=None) -> FactorSecured:
    """Section 11: each increase of the secured amount is a dated record (who, when, how much, by
    what document), added and never edited; the need's running total moves in the same transaction."""
    today = today or local_today()
    amount = _positive(amount, "本次保障量")
    errors = {}
    if not (document or "").strip():
        errors["document"] = "请填写依据文件（如用地批复、能耗指标文件、资金拨付文件的文号）"
    if secured_on is None:
        errors["secured_on"] = "请填写保障日期"
    elif secured_on > today:
        errors["secured_on"] = f"保障日期 {secured_on:%Y-%m-%d} 不能晚于今天（{today:%Y-%m-%d}）"
    if errors:
        raise ValidationError(errors)
    return _add_record(need=need, amount=amount, secured_on=secured_on, document=document.strip(), user=user)


def record_difference(*, need, amount, secured_on, document, user=None) -> FactorSecured:
    """The ledger import's record: the difference between the sheet's 已保障量 and the system's,
    which may be negative (a correction is a new record, never an edit of an old one)."""
    return _add_record(need=need, amount=amount, secured_on=secured_on, document=document, user=user)


def _add_record(*, need, amount, secured_on, document, user=None) -> FactorSecured:
    record = FactorSecured.objects.create(need=need, amount=amount, secured_on=secured_on, document=document, by=user)
    FactorNeed.objects.filter(pk=need.pk).update(secured=F("secured") + amount)
    need.refresh_from_db(fields=["secured"])
    return record


def rule_apply_unit(*, rule: FactorRule) -> int:
    """An administrator changed a type's default unit: the needs of that type follow it (as nodes
    follow their rule). Needs of projects without a configured unit fall back to the project's unit."""
    needs = FactorNeed.objects.filter(factor_type=rule.factor_type)
    if rule.default_unit_id is not None:
        return needs.update(responsible_unit_id=rule.default_unit_id)
    project_unit = Project.objects.filter(pk=OuterRef("project_id")).values("responsible_unit_id")[:1]
    return needs.update(responsible_unit_id=Subquery(project_unit))


# --- the problem of an overdue need ---------------------------------------------------------------


def _problem_text(need) -> str:
    measure = FACTOR_UNITS[need.factor_type]
    return (
        f"{need.get_factor_type_display()}要素逾期未保障：需求 {need.needed.normalize():f}{measure}，"
        f"已保障 {need.secured.normalize():f}{measure}，缺口 {need.gap.normalize():f}{measure}，"
        f"需保障日期 {need.needed_by:%Y-%m-%d}。"
    )


PROBLEM_CATEGORY = {FactorType.LAND: "land", FactorType.ENERGY: "energy", FactorType.FUNDS: "funding"}


@transaction.atomic
def open_overdue_problems(*, as_of: datetime.date, projects=None, dry_run: bool = False) -> list[Problem]:
    """Section 11: a need that becomes 逾期未保障 opens one problem (section 7) of its type, assigned
    to its responsible unit, once per needed-by date; from there section 7's loop takes over.

    `problem_opened_for` records the date a problem was opened for, claimed with a conditional UPDATE
    so that two runs (the daily task and an edit at the same moment) never open two. A need whose
    date moves and falls overdue again opens a new one. `projects`: only these project ids."""
    from projects.services import problem_raise  # projects.services imports this module's callers

    needs = overdue_needs(as_of=as_of).exclude(problem_opened_for=F("needed_by"))
    if projects is not None:
        needs = needs.filter(project_id__in=list(projects))
    opened = []
    for need in needs:
        if dry_run:
            opened.append(need)
            continue
        claimed = FactorNeed.objects.filter(pk=need.pk).filter(
            Q(problem_opened_for__isnull=True) | ~Q(problem_opened_for=need.needed_by)
        ).update(problem_opened_for=need.needed_by)
        if not claimed:
            continue
        problem = problem_raise(
            project=need.project, category=PROBLEM_CATEGORY[need.factor_type], description=_problem_text(need),
            assigned_unit=need.responsible_unit, raised_on=as_of,
        )
        FactorNeed.objects.filter(pk=need.pk).update(problem=problem)
        opened.append(problem)
    if opened and not dry_run:
        logger.info("Opened %d problems for overdue factor needs as of %s", len(opened), as_of)
    return opened
