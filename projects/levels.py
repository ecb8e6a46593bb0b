"""Section 5's levels: which projects are 亿元以上 or 10亿元以上, by the admin-editable thresholds
(projects.models.Threshold). The 1330 report counts by them and the 台账 filters by them."""

from decimal import Decimal

from django.db.models import Q

from .models import LEVELS, Level, Threshold

__all__ = ["LEVELS", "Level", "level_q", "load_thresholds"]


def load_thresholds() -> dict[str, dict[str, Decimal]]:
    """{level: {currency: minimum total investment in 万}} from the admin-editable data."""
    result = {level.value: {} for level in LEVELS}
    for threshold in Threshold.objects.all():
        result.setdefault(threshold.level, {})[threshold.currency] = threshold.min_amount
    return result


def level_q(level_thresholds: dict[str, Decimal]) -> Q:
    """Section 5: the investment test for one level — at least the threshold of the project's own
    currency, no exchange rate. A currency without a threshold never counts."""
    q = Q(pk__in=[])
    for currency, amount in level_thresholds.items():
        q |= Q(currency=currency, total_investment__gte=amount)
    return q
