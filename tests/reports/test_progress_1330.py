"""The 1330 report on a ledger whose every number is worked out by hand here (DOMAIN.md sections 5, 9)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Currency, Status
from projects.models import Threshold
from reports.models import PlatformTarget, YearTarget
from reports.selectors import progress_1330, task_split, time_progress
from tests.factories import PlatformFactory, ProjectFactory

D = datetime.date


@pytest.fixture
def ledger(db):
    p1, p2 = PlatformFactory(name="测试平台甲"), PlatformFactory(name="测试平台乙")

    def make(code, amount, signed, currency=Currency.CNY, **kwargs):
        return ProjectFactory(code=code, total_investment=Decimal(amount), currency=currency, signing_date=signed,
                              **kwargs)

    # Counted ≥1亿: exactly 1亿元, signed on 1 January; landed in March, started in May.
    make("A01", "10000", D(2026, 1, 1), cluster="高端装备", source="外引", channel="产业链招商", platform=p1,
         status=Status.STARTED, actual={"land": D(2026, 3, 10), "start": D(2026, 5, 1)})
    # 9,999.99万元: below 1亿元.
    make("A02", "9999.99", D(2026, 1, 20))
    # Exactly 1,000万美元 counts; needs no new land and started in April (passes the land step).
    make("A03", "1000", D(2026, 2, 14), currency=Currency.USD, cluster="智能家居", source="内生", channel="基金招商",
         needs_new_land=False, land_area=None, status=Status.STARTED, actual={"start": D(2026, 4, 1)})
    # 999万美元: below.
    make("A04", "999", D(2026, 2, 20), currency=Currency.USD)
    # Exactly 10亿元: both levels; land acquired on 15 July.
    make("A05", "100000", D(2026, 3, 5), cluster="生物医药与健康", source="外引", channel="亲情招商", platform=p2,
         status=Status.LAND_ACQUIRED, actual={"land": D(2026, 7, 15)})
    # Exactly 1亿美元, signed on 31 December: both levels, but only once 31 December is reached.
    make("A06", "10000", D(2026, 12, 31), currency=Currency.USD, cluster="高端装备", source="外引", channel="以商引商",
         status=Status.LAND_ACQUIRED, actual={"land": D(2027, 6, 1)})
    # Terminated: excluded whatever its size.
    make("A07", "50000", D(2026, 4, 1), status=Status.TERMINATED)
    # Not manufacturing: excluded.
    make("A08", "50000", D(2026, 4, 2), is_manufacturing=False)
    # Signed the day before and the day after the year.
    make("A09", "20000", D(2025, 12, 31))
    make("A10", "20000", D(2027, 1, 1))
    # 99,999.99万元: ≥1亿 but not 10亿; nothing after signing.
    make("A11", "99999.99", D(2026, 6, 30), cluster="现代纺织", source="内生", channel="其他")
    # 9,999万美元: ≥1亿 (≥1,000万美元) but not 10亿 (<1亿美元); in production by 20 June.
    make("A12", "9999", D(2026, 5, 20), currency=Currency.USD, cluster="高端新材料", source="外引",
         channel="产业链招商", platform=p1, status=Status.IN_PRODUCTION,
         actual={"land": D(2026, 5, 25), "start": D(2026, 6, 1), "statistics": D(2026, 6, 10),
                 "production": D(2026, 6, 20)})
    PlatformTarget.objects.create(year=2026, platform=p1, target_100m=2, target_1b=0)
    PlatformTarget.objects.create(year=2026, platform=p2, target_100m=4, target_1b=1)
    return p1, p2


def test_it_counts_every_number_of_section_9_at_mid_year(ledger):
    """Section 5/9 on 2026-06-30: A01, A03, A05, A11, A12 count for ≥1亿; A05 alone for ≥10亿."""
    report = progress_1330(year=2026, as_of=D(2026, 6, 30))
    assert report["year"] == 2026
    assert report["as_of"] == "2026-06-30"
    assert report["time_progress"] == 0.4959  # 181 / 365
    assert report["targets"] == {"100m": 40, "1b": 1}  # seeded by the migration
    assert report["counts"] == {"100m": 5, "1b": 1}
    assert report["completion"] == {"100m": 0.125, "1b": 1.0}
    assert report["projects"] == {"100m": ["A01", "A03", "A05", "A11", "A12"], "1b": ["A05"]}
    assert report["by_month"] == {"2026-01": 1, "2026-02": 1, "2026-03": 1, "2026-04": 0, "2026-05": 1,
                                  "2026-06": 1}
    assert report["by_cluster"] == {
        "新能源汽车及零部件": 0, "智能家居": 1, "高端装备": 1, "现代纺织": 1, "高端新材料": 1, "生物医药与健康": 1,
        "空天信息": 0, "合成生物": 0, "未来医疗": 0, "氢能与新型储能": 0, "其他": 0,
    }
    assert report["by_source"] == {"外引": 3, "内生": 2}
    # A05's land (15 July) comes after the as-of date; A03 passes land by starting.
    assert report["node_reached"] == {"signed": 5, "land_acquired": 3, "started": 3, "in_statistics": 1,
                                      "in_production": 1, "at_capacity": 0}


def test_it_reports_pace_cumulative_channel_platform_and_task_split(ledger):
    """Section 5: ahead/behind time progress, and the task split with completion and rank."""
    report = progress_1330(year=2026, as_of=D(2026, 6, 30))
    # 40 × 181/365 = 19.8356…, 序时应完成 20 projects (rounded up): 5 is behind; 1 of 1 is ahead.
    assert report["pace"]["100m"] == {"status": "behind", "label": "慢于序时进度", "expected": 20, "gap": -15}
    assert report["pace"]["1b"]["status"] == "ahead"
    assert report["cumulative_by_month"] == {"2026-01": 1, "2026-02": 2, "2026-03": 3, "2026-04": 3, "2026-05": 4,
                                             "2026-06": 5}
    assert report["by_channel"] == {"亲情招商": 1, "基金招商": 1, "产业链招商": 2, "以商引商": 0, "其他": 1}
    assert report["by_platform"]["测试平台甲"] == 2
    assert report["by_platform"]["测试平台乙"] == 1
    assert report["by_platform"]["未填写"] == 2
    assert report["by_platform"]["高铁新城"] == 0  # every platform is listed, zeros included
    assert report["task_split"] == [
        {"platform": "测试平台甲", "targets": {"100m": 2, "1b": 0}, "counts": {"100m": 2, "1b": 0},
         "completion": {"100m": 1.0, "1b": None}, "rank": 1},
        {"platform": "测试平台乙", "targets": {"100m": 4, "1b": 1}, "counts": {"100m": 1, "1b": 1},
         "completion": {"100m": 0.25, "1b": 1.0}, "rank": 2},
    ]
    assert report["levels"]["1b"]["by_month"]["2026-03"] == 1
    assert report["levels"]["1b"]["node_reached"] == {"signed": 1, "land_acquired": 0, "started": 0,
                                                      "in_statistics": 0, "in_production": 0,
                                                      "at_capacity": 0}


def test_a_signing_on_31_december_counts_on_31_december(ledger):
    """Section 5: signing date in Y and not after as_of — A06 appears on 31 December."""
    before = progress_1330(year=2026, as_of=D(2026, 12, 30))
    on = progress_1330(year=2026, as_of=D(2026, 12, 31))
    assert before["counts"] == {"100m": 5, "1b": 1}
    assert on["counts"] == {"100m": 6, "1b": 2}
    assert on["projects"]["1b"] == ["A05", "A06"]
    assert on["time_progress"] == 1.0
    assert list(on["by_month"]) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert on["by_month"]["2026-12"] == 1 and on["by_month"]["2026-07"] == 0
    assert on["node_reached"]["land_acquired"] == 4  # A05 landed on 15 July


def test_landing_rates_are_null_until_31_december_has_passed(ledger):
    """Section 5 (落地率): 当年 once 31 Dec Y has passed, 两年 once 31 Dec Y+1 has passed."""
    on_31_dec = progress_1330(year=2026, as_of=D(2026, 12, 31))["landing_rate"]
    assert on_31_dec["current_year"]["rate"] is None and on_31_dec["two_year"]["rate"] is None
    next_year = progress_1330(year=2026, as_of=D(2027, 1, 1))
    # Landed by 2026-12-31: A01, A03 (started, no new land), A05, A12 of 6; A06 lands in 2027.
    assert next_year["landing_rate"]["current_year"]["rate"] == 0.6667
    assert next_year["landing_rate"]["current_year"]["landed"] == 4
    assert next_year["landing_rate"]["two_year"]["rate"] is None
    assert next_year["time_progress"] == 1.0
    later = progress_1330(year=2026, as_of=D(2028, 1, 1))["landing_rate"]
    assert later["two_year"]["rate"] == 0.8333  # A06 landed on 2027-06-01; A11 never did


def test_thresholds_and_targets_are_data(ledger):
    """Section 5: an administrator changes thresholds and targets without a release."""
    Threshold.objects.filter(level="100m", currency=Currency.CNY).update(min_amount=Decimal("9999.99"))
    YearTarget.objects.filter(year=2026).update(target_100m=50)
    report = progress_1330(year=2026, as_of=D(2026, 6, 30))
    assert "A02" in report["projects"]["100m"]
    assert report["targets"]["100m"] == 50
    assert report["completion"]["100m"] == 0.12  # 6 / 50


def test_a_year_without_a_target_has_null_completion(db):
    report = progress_1330(year=2040, as_of=D(2040, 3, 1))
    assert report["targets"] == {"100m": None, "1b": None}
    assert report["completion"] == {"100m": None, "1b": None}
    assert report["by_month"] == {"2040-01": 0, "2040-02": 0, "2040-03": 0}


@pytest.mark.parametrize(
    "year, as_of, expected",
    [
        (2028, D(2028, 3, 1), 61 / 366),  # leap year: 31 + 29 + 1 days of 366
        (2026, D(2026, 3, 1), 60 / 365),
        (2026, D(2026, 1, 1), 1 / 365),
        (2026, D(2026, 12, 31), 1.0),
        (2026, D(2027, 5, 1), 1.0),  # after the year
    ],
)
def test_time_progress_counts_days_inclusive_over_days_in_year(year, as_of, expected):
    """Section 5 (序时进度)."""
    assert time_progress(year=year, as_of=as_of) == pytest.approx(expected)


def test_leap_year_time_progress_in_the_report(db):
    assert progress_1330(year=2028, as_of=D(2028, 3, 1))["time_progress"] == 0.1667


def test_a_needs_land_project_that_started_has_passed_land(db):
    """Section 9 (node_reached): reaching a later step implies the earlier ones."""
    ProjectFactory(code="B01", signing_date=D(2026, 2, 1), status=Status.STARTED,
                   actual={"start": D(2026, 4, 1)})
    reached = progress_1330(year=2026, as_of=D(2026, 6, 30))["node_reached"]
    assert reached == {"signed": 1, "land_acquired": 1, "started": 1, "in_statistics": 0, "in_production": 0,
                       "at_capacity": 0}


def test_node_reached_counts_at_capacity_by_the_capacity_nodes_actual_date(db):
    """Section 10: node_reached gains at_capacity, judged like the other steps by its actual date."""
    done = {"land": D(2026, 2, 1), "start": D(2026, 2, 2), "statistics": D(2026, 2, 3), "production": D(2026, 3, 1)}
    ProjectFactory(code="C01", signing_date=D(2026, 1, 10), status=Status.AT_CAPACITY,
                   actual={**done, "capacity": D(2026, 6, 1)})
    ProjectFactory(code="C02", signing_date=D(2026, 1, 10), status=Status.AT_CAPACITY,
                   actual={**done, "capacity": D(2026, 7, 1)})
    reached = progress_1330(year=2026, as_of=D(2026, 6, 30))["node_reached"]
    assert reached == {"signed": 2, "land_acquired": 2, "started": 2, "in_statistics": 2, "in_production": 2,
                       "at_capacity": 1}


def _queries_for(n):
    for i in range(n):
        ProjectFactory(code=f"Q{n}-{i:03d}", signing_date=D(2026, 1 + i % 12, 1), status=Status.STARTED,
                       actual={"land": D(2026, 2, 1), "start": D(2026, 3, 1)})
    with CaptureQueriesContext(connection) as captured:
        progress_1330(year=2026, as_of=D(2026, 12, 31))
    return len(captured)


def test_query_count_does_not_grow_with_projects(db):
    """Query counts constant in the number of projects (common rules)."""
    few = _queries_for(5)
    many = _queries_for(50)
    assert few == many
    assert many <= 6


def test_a_level_without_thresholds_counts_nothing(db):
    """Section 5: thresholds are data; a level whose thresholds were removed counts no project."""
    ProjectFactory(code="X1", signing_date=D(2026, 2, 1))
    Threshold.objects.filter(level="1b").delete()
    assert progress_1330(year=2026, as_of=D(2026, 6, 30))["counts"] == {"100m": 1, "1b": 0}
    Threshold.objects.all().delete()
    assert progress_1330(year=2026, as_of=D(2026, 6, 30))["counts"] == {"100m": 0, "1b": 0}


def test_an_as_of_date_before_the_year_gives_an_empty_year(db):
    report = progress_1330(year=2026, as_of=D(2025, 6, 30))
    assert report["by_month"] == {} and report["time_progress"] == 0.0 and report["counts"]["100m"] == 0


def test_task_split_ranks_equal_completions_together_and_no_target_last():
    """Section 5 (任务分解): rank by ≥1亿 completion, 1, 2, 2, 4 for ties, a platform without a
    ≥1亿 share last."""
    def target(platform_id, name, share):
        return SimpleNamespace(platform_id=platform_id, platform=SimpleNamespace(name=name), target_100m=share,
                               target_1b=0)

    rows = {"100m": [{"platform_id": pid} for pid in (1, 2, 2, 3, 3, 3, 4)], "1b": []}
    items = task_split(rows, platform_targets=[target(1, "甲", 0), target(2, "乙", 4), target(3, "丙", 3),
                                               target(4, "丁", 2), target(5, "戊", 2)])
    assert [(item["platform"], item["completion"]["100m"], item["rank"]) for item in items] == [
        ("丙", 1.0, 1), ("乙", 0.5, 2), ("丁", 0.5, 2), ("戊", 0.0, 4), ("甲", None, 5),
    ]
