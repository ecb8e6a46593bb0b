"""What a stored value may be (docs/DOMAIN.md section 12), said once.

Each rule is here twice over, from the same constant: as a field validator, which every way in runs
(the service's full_clean for the pages and the API, the admin's ModelForm, `project_value_errors`
for a transition's fields and the ledger), and as a database CheckConstraint, so that a value that
gets past the code still cannot be stored. Choices constraints are built from the TextChoices'
`.values`: a choice added later changes the constraint and `makemigrations` picks it up.
"""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import CharField, Q, TextField
from django.db.models.functions import Length
from django.utils.deconstruct import deconstructible

# `field__length__lte` in constraints (the Django docs' own example of a registered transform).
CharField.register_lookup(Length)
TextField.register_lookup(Length)

# Dates people enter (signing, events, agreed plans, reply-by, as_of): none before the product's
# oldest ledger rows could be, none so far ahead that date arithmetic leaves year 9999.
DATE_MIN = datetime.date(1990, 1, 1)
DATE_MAX = datetime.date(2100, 12, 31)
# A derived planned date runs ahead of the date it follows by at most the deadline rules' durations
# (each at most RULE_MONTHS_MAX, a handful of steps), so stored node dates get a wider upper bound.
RULE_MONTHS_MAX = 120
NODE_DATE_MAX = datetime.date(2200, 12, 31)

# 项目编号 travels in URLs, file names, e-mail subjects and other systems' keys: ASCII letters,
# digits, - and _ only (a "/" broke every page listing the project, a newline every e-mail about it).
CODE_MAX_LENGTH = 32
CODE_PATTERN = rf"^[A-Za-z0-9_-]{{1,{CODE_MAX_LENGTH}}}$"
# Amounts are in 万 of their currency. The largest deal the city could sign is far below 1万亿元
# (10^8 万); anything above is a typo (an amount in 元 typed into a 万 column, or 1e30).
AMOUNT_MAX = Decimal("100000000")
# 嵊州 covers about 2.7 million 亩; one project's land is far below a million.
LAND_AREA_MAX = Decimal("1000000")
# Free text (备注、原因、问题描述、答复 …): enough for a paragraph, not a document.
TEXT_MAX_LENGTH = 2000

# C0 control characters and DEL. NUL cannot be stored by PostgreSQL at all; the others break
# e-mail headers (a newline), spreadsheets and one-line labels.
_CONTROL = r"[\x00-\x1f\x7f]"
_CONTROL_BUT_LINES = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

DATE_MESSAGE = f"日期应在 {DATE_MIN:%Y-%m-%d} 至 {DATE_MAX:%Y-%m-%d} 之间"


code_validators = [
    RegexValidator(CODE_PATTERN, message=f"项目编号只能由英文字母、数字、“-”和“_”组成，长度 1 至 {CODE_MAX_LENGTH} 位"),
]
date_validators = [
    MinValueValidator(DATE_MIN, message=DATE_MESSAGE),
    MaxValueValidator(DATE_MAX, message=DATE_MESSAGE),
]
amount_validators = [
    MinValueValidator(Decimal("0.0001"), message="必须大于 0"),
    MaxValueValidator(AMOUNT_MAX, message=f"不能超过 {AMOUNT_MAX:,f} 万（1万亿），请检查单位"),
]
land_area_validators = [
    MinValueValidator(Decimal(0), message="不能为负数"),
    MaxValueValidator(LAND_AREA_MAX, message=f"不能超过 {LAND_AREA_MAX:,f} 亩，请检查单位"),
]
rule_months_validators = [MaxValueValidator(RULE_MONTHS_MAX, message=f"不能超过 {RULE_MONTHS_MAX} 个月")]


@deconstructible
class NoControlCharacters:
    """Refuses NUL and other control characters; `lines=True` lets line breaks and tabs through."""

    def __init__(self, lines=False):
        self.lines = lines

    def __call__(self, value):
        problem = text_problem(value, lines=self.lines)
        if problem:
            raise ValidationError(problem, code="control_characters")

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters) and other.lines == self.lines


def text_problem(text, *, lines=False) -> str | None:
    """The Chinese reason `text` may not be stored, or None (also for the ledger's cells)."""
    if text and re.search(_CONTROL_BUT_LINES if lines else _CONTROL, str(text)):
        if "\x00" in str(text):
            return "不能包含空字符（NUL）"
        return "不能包含控制字符" if lines else "不能包含换行符或控制字符"
    return None


line_validators = [NoControlCharacters()]
text_validators = [NoControlCharacters(lines=True), MaxLengthValidator(TEXT_MAX_LENGTH)]


# --- the same rules as database constraints -----------------------------------------------------


def in_choices(field, choices, *, blank=False) -> Q:
    return Q(**{f"{field}__in": [*([""] if blank else []), *choices.values]})


def date_in_window(field, *, maximum=DATE_MAX) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": DATE_MIN, f"{field}__lte": maximum})


def one_line(field) -> Q:
    return ~Q(**{f"{field}__regex": _CONTROL})


def text_ok(field) -> Q:
    return Q(**{f"{field}__length__lte": TEXT_MAX_LENGTH}) & ~Q(**{f"{field}__regex": _CONTROL_BUT_LINES})


# --- running the rules --------------------------------------------------------------------------


def date_problem(day) -> str | None:
    """DATE_MESSAGE when a date someone entered lies outside the window, else None."""
    if day is not None and not DATE_MIN <= day <= DATE_MAX:
        return DATE_MESSAGE
    return None


def value_errors(instance, *, fields=None) -> dict[str, list[str]]:
    """The fields' own rules (validators, choices, lengths, required) for a model instance, as
    {field name: [reason, …]}; `fields` limits the check to those.

    This is Model.clean_fields without the relations, whose check costs a query each: the callers
    resolve units, leaders and platforms themselves, and the ledger runs this on every row."""
    meta = instance._meta
    # A protected django-fsm field moves only by transitions (and clean_fields would assign it).
    exclude = [f.name for f in meta.fields
               if f.is_relation or getattr(f, "protected", False) or (fields is not None and f.name not in fields)]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        return exc.message_dict
    return {}


class ValueCheck:
    """`value_errors` for many instances of one model (the ledger's rows): a field's own rules depend
    on its value alone, so each distinct value of a field is checked once (issue 12: 10,000 rows
    repeat a few hundred units, clusters, dates and amounts)."""

    _UNSEEN = object()

    def __init__(self, model):
        self.fields = [f for f in model._meta.fields if not (f.is_relation or getattr(f, "protected", False))]
        self.seen = {}

    def errors(self, instance) -> dict[str, list[str]]:
        errors = {}
        for field in self.fields:
            value = getattr(instance, field.attname)
            try:
                # Equal decimals may differ in places (1.0 == 1.00), which their validator counts.
                key = (field.name, type(value), str(value) if isinstance(value, Decimal) else value)
                found = self.seen.get(key, self._UNSEEN)
            except TypeError:  # an unhashable value: checked each time
                key, found = None, self._UNSEEN
            if found is self._UNSEEN:
                found = self._check(field, value, instance)
                if key is not None:
                    self.seen[key] = found
            if found:
                errors[field.name] = found
        return errors

    @staticmethod
    def _check(field, value, instance):
        # Model.clean_fields for one field: blank values pass where blank is allowed.
        if field.blank and value in field.empty_values:
            return []
        try:
            field.clean(value, instance)
        except ValidationError as exc:
            return exc.messages
        return []


def labelled(errors, model) -> list[str]:
    """`value_errors` as "<verbose name>：<reason>" lines, for a message not shown beside its field."""
    return [f"{model._meta.get_field(name).verbose_name}：{message}"
            for name, messages in errors.items() for message in messages]
