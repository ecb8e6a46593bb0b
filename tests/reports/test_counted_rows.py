"""Issue 12: the 1330 report reads each counted project's later steps in the projects' query (a
correlated subquery whose text is parsed here), and the dashboard's counts group by signing month.
These check the new reading against the node table itself, on random histories."""

import datetime
import random
from decimal import Decimal

import pytest

from milestones.models import Node
from projects.levels import load_thresholds
from projects.models import Currency, Project, Status, Threshold
from reports.selectors import (
    LATER_NODES,
    counted_levels_q,
    counted_q,
    counted_rows,
    parse_actual_dates,
    progress_1330,
    progress_1330_counts,
    steps_on,
)
from tests.factories import PlatformFactory, ProjectFactory

pytestmark = pytest.mark.django_db

D = datetime.date
LATER_STEPS = ["land", "start", "statistics", "production", "capacity"]


def random_histories(rng: random.Random, n: int):
    platforms = [PlatformFactory(name=f"随机平台{i}") for i in range(3)] + [None]
    for i in range(n):
        needs_land = rng.random() < 0.8
        steps = [step for step in LATER_STEPS if needs_land or step != "land"]
        done, day = {}, D(2026, 1, 1) + datetime.timedelta(days=rng.randrange(300))
        signed = day
        for step in steps[:rng.randrange(len(steps) + 1)]:
            day += datetime.timedelta(days=rng.randrange(1, 90))
            done[step] = day
        ProjectFactory(
            code=f"H{i:03d}", signing_date=signed, needs_new_land=needs_land,
            land_area=Decimal(30) if needs_land else None,
            total_investment=Decimal(rng.choice(["10000", "99999", "100000", "300000"])),
            currency=rng.choice([Currency.CNY, Currency.USD]), platform=rng.choice(platforms),
            status=Status.SIGNED if not done else Status.STARTED if "start" in done else Status.SIGNED,
            actual=done,
        )


def test_parse_actual_dates_gives_every_later_step():
    assert parse_actual_dates(None) == dict.fromkeys(LATER_NODES)
    assert parse_actual_dates("") == dict.fromkeys(LATER_NODES)
    parsed = parse_actual_dates("start2026-05-02,land2026-03-01,capacity0999-12-31")
    assert list(parsed) == list(LATER_NODES)
    assert parsed == {"land": D(2026, 3, 1), "start": D(2026, 5, 2), "statistics": None, "production": None,
                      "capacity": D(999, 12, 31)}


@pytest.mark.parametrize("seed", [1, 2])
def test_counted_rows_read_the_later_steps_as_the_node_table_holds_them(seed):
    random_histories(random.Random(seed), 40)
    as_of = D(2026, 12, 31)
    rows = counted_rows(year=2026, as_of=as_of, thresholds=load_thresholds())
    assert rows and [row["code"] for row in rows] == sorted(row["code"] for row in rows)
    for row in rows:
        nodes = Node.objects.filter(project__code=row["code"], node_type__in=LATER_NODES, actual_date__isnull=False)
        assert row["actual_dates"] == {**dict.fromkeys(LATER_NODES),
                                       **dict(nodes.values_list("node_type", "actual_date"))}, row["code"]
    # Without details only the figures' fields are read, with the same values.
    lean = counted_rows(year=2026, as_of=as_of, thresholds=load_thresholds(), details=False)
    assert [{key: row[key] for key in lean[0]} for row in rows] == lean
    assert "name" not in lean[0] and "total_investment" not in lean[0]


@pytest.mark.parametrize("seed", [3, 4])
def test_the_report_without_rows_is_the_report_with_rows_less_the_rows(seed):
    random_histories(random.Random(seed), 40)
    for as_of in (D(2026, 6, 30), D(2027, 1, 5), D(2028, 2, 1)):  # before and after both landing deadlines
        full = progress_1330(year=2026, as_of=as_of)
        rows = full.pop("rows")
        assert progress_1330(year=2026, as_of=as_of, with_rows=False) == full
        assert [row["code"] for row in rows] == sorted(full["projects"]["100m"] + [
            code for code in full["projects"]["1b"] if code not in full["projects"]["100m"]])


def test_the_counts_group_every_month_and_list_the_10yi_codes_in_code_order():
    # One 10亿 project a month, codes in the reverse order of their months; a ≥1亿 one on 31 January.
    for month in range(1, 13):
        ProjectFactory(code=f"B{13 - month:02d}", signing_date=D(2026, month, 28), total_investment=Decimal(100000))
    ProjectFactory(code="S01", signing_date=D(2026, 1, 31), total_investment=Decimal(10000))
    counts = progress_1330_counts(year=2026, as_of=D(2026, 12, 31))
    assert counts["counts"] == {"100m": 13, "1b": 12}
    assert counts["by_month"] == {"2026-01": 2, **{f"2026-{month:02d}": 1 for month in range(2, 13)}}
    assert counts["projects_1b"] == [f"B{i:02d}" for i in range(1, 13)]
    # As of 15 March: the months so far only, and the projects signed by then.
    counts = progress_1330_counts(year=2026, as_of=D(2026, 3, 15))
    assert counts["by_month"] == {"2026-01": 2, "2026-02": 1, "2026-03": 0}
    assert counts["projects_1b"] == ["B11", "B12"]
    # Before the year: nothing, and no month.
    assert progress_1330_counts(year=2026, as_of=D(2025, 12, 31))["by_month"] == {}


@pytest.mark.parametrize("level", ["1b", "100m"])
def test_the_counts_of_a_level_without_thresholds_are_the_full_reports(level):
    """Section 5: thresholds are data; a level left without any counts nothing, in both selectors."""
    ProjectFactory(code="X1", signing_date=D(2026, 2, 1), total_investment=Decimal(20000))
    ProjectFactory(code="X2", signing_date=D(2026, 3, 1), total_investment=Decimal(200000))
    Threshold.objects.filter(level=level).delete()
    full, counts = progress_1330(year=2026, as_of=D(2026, 6, 30)), progress_1330_counts(year=2026, as_of=D(2026, 6, 30))
    assert counts["counts"] == full["counts"] == ({"100m": 2, "1b": 0} if level == "1b" else {"100m": 0, "1b": 1})
    assert counts["by_month"] == full["by_month"]
    assert counts["projects_1b"] == full["projects"]["1b"]


@pytest.mark.parametrize("seed", [5, 6])
def test_the_shared_part_and_a_levels_test_select_what_counted_q_selects(seed):
    """counted_levels_q splits counted_q: the shared part and the level's own test pick the same projects."""
    random_histories(random.Random(seed), 30)
    ProjectFactory(code="T1", signing_date=D(2026, 3, 1), total_investment=Decimal(300000), status=Status.TERMINATED)
    ProjectFactory(code="M1", signing_date=D(2026, 3, 1), total_investment=Decimal(300000), is_manufacturing=False)
    thresholds = load_thresholds()
    for as_of in (D(2026, 4, 1), D(2026, 12, 31), D(2025, 12, 31)):
        shared, tests = counted_levels_q(year=2026, as_of=as_of, thresholds=thresholds)
        for level, test in tests.items():
            expected = Project.objects.filter(counted_q(year=2026, as_of=as_of, level_thresholds=thresholds[level]))
            assert set(Project.objects.filter(shared & test).values_list("code", flat=True)) == set(
                expected.values_list("code", flat=True)), (as_of, level)


def steps_reached_by(nodes: dict, by: datetime.date) -> int:
    """Section 5/9 (node_reached) read off the node table: signed (every counted project is), then
    the furthest later step done by `by` — reaching a step passes the ones before it."""
    reached = 1
    for index, node_type in enumerate(LATER_NODES, start=2):
        if nodes.get(node_type) is not None and nodes[node_type] <= by:
            reached = index
    return reached


@pytest.mark.parametrize("seed", [7, 8])
def test_the_steps_reached_by_each_day_are_those_the_node_table_gives(seed):
    """Sections 5 and 9: node_reached counts by the as-of date, 落地率 by 31 December of the year and
    of the next; the database works all three out in the projects' query."""
    random_histories(random.Random(seed), 40)
    for as_of in (D(2026, 3, 31), D(2026, 9, 30), D(2027, 6, 30), D(2028, 1, 2)):
        days = (as_of, D(2026, 12, 31), D(2027, 12, 31))
        for details in (True, False):
            rows = counted_rows(year=2026, as_of=as_of, thresholds=load_thresholds(), details=details)
            assert rows
            for row in rows:
                nodes = dict(Node.objects.filter(project__code=row["code"], actual_date__isnull=False)
                             .values_list("node_type", "actual_date"))
                assert [steps_on(row["reached"], position) for position in range(3)] == [
                    steps_reached_by(nodes, day) for day in days], (row["code"], as_of)
