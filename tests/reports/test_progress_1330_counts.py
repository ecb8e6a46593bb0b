"""Issue 12 part 2: the dashboard's 1330 figures come from aggregates, and agree with the full report."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Currency, Status
from reports.models import YearTarget
from reports.selectors import progress_1330, progress_1330_counts
from tests.factories import ProjectFactory, UnitFactory

pytestmark = pytest.mark.django_db

SHARED_KEYS = ("year", "as_of", "time_progress", "targets", "counts", "completion", "pace", "by_month",
               "cumulative_by_month")
AS_OF_DATES = [datetime.date(2025, 12, 31), datetime.date(2026, 1, 1), datetime.date(2026, 2, 28),
               datetime.date(2026, 6, 30), datetime.date(2026, 12, 31), datetime.date(2027, 3, 1)]


def random_projects(rng: random.Random, n: int, *, prefix: str = "R"):
    unit = UnitFactory()
    for i in range(n):
        ProjectFactory(
            code=f"{prefix}{i:04d}",
            responsible_unit=unit,
            # Around both thresholds (1亿元 = 10,000万, 10亿元 = 100,000万; 1,000万美元, 1亿美元).
            total_investment=Decimal(rng.choice(["999", "1000", "9999.99", "10000", "99999.99", "100000", "250000"])),
            currency=rng.choice([Currency.CNY, Currency.CNY, Currency.USD]),
            is_manufacturing=rng.random() < 0.85,
            status=rng.choice([Status.SIGNED, Status.SIGNED, Status.TERMINATED]),
            signing_date=datetime.date(2025, 12, 1) + datetime.timedelta(days=rng.randrange(450)),
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_only_selector_gives_the_full_reports_numbers(seed):
    random_projects(random.Random(seed), 60)
    YearTarget.objects.update_or_create(year=2026, defaults={"target_100m": 40, "target_1b": 6})
    for as_of in AS_OF_DATES:
        full, counts = progress_1330(year=2026, as_of=as_of), progress_1330_counts(year=2026, as_of=as_of)
        assert {key: counts[key] for key in SHARED_KEYS} == {key: full[key] for key in SHARED_KEYS}, as_of
        assert counts["projects_1b"] == full["projects"]["1b"]


def test_the_counts_only_selector_reads_no_rows_and_a_fixed_number_of_queries():
    as_of = datetime.date(2026, 11, 30)
    random_projects(random.Random(7), 3, prefix="S")
    with CaptureQueriesContext(connection) as few:
        progress_1330_counts(year=2026, as_of=as_of)
    random_projects(random.Random(8), 40, prefix="M")
    with CaptureQueriesContext(connection) as many:
        progress_1330_counts(year=2026, as_of=as_of)
    assert len(few.captured_queries) == len(many.captured_queries)
    # One aggregate for every count; nothing but codes of the 10亿 level is fetched per project.
    assert sum("COUNT(" in query["sql"].upper() for query in many.captured_queries) == 1
