"""DOMAIN.md section 6: working days from the official calendar (holidays off, 调休 Saturdays and
Sundays on), seeded from chinesecalendar, editable, weekends-only with a warning for unknown years."""

import datetime
import logging

import pytest

from milestones import workdays
from milestones.models import CalendarDay
from milestones.workdays import (
    first_workday_of_week,
    is_workday,
    working_days_before,
    working_days_between,
    years_without_data,
)

D = datetime.date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # The cache outlives a test's rolled-back transaction.
    workdays.clear_cache()
    yield
    workdays.clear_cache()


def test_spring_festival_2026_is_off_and_its_adjusted_saturdays_are_on():
    assert is_workday(D(2026, 2, 14))  # Saturday 调休上班
    assert not any(is_workday(D(2026, 2, d)) for d in range(15, 24))  # 2/15–2/23
    assert is_workday(D(2026, 2, 24))
    assert is_workday(D(2026, 2, 28))  # Saturday 调休上班


def test_working_days_before_skip_spring_festival_2026_and_count_its_adjusted_saturday():
    # Before Wed 2/25: Tue 2/24, then the holiday, then Saturday 2/14 (调休) and Friday 2/13.
    assert working_days_before(D(2026, 2, 25), 1) == D(2026, 2, 24)
    assert working_days_before(D(2026, 2, 25), 2) == D(2026, 2, 14)
    assert working_days_before(D(2026, 2, 25), 3) == D(2026, 2, 13)
    assert working_days_before(D(2026, 3, 10), 10) == D(2026, 2, 25)  # counts Saturday 2/28


def test_national_day_2025_with_its_adjusted_sunday_and_saturday():
    assert is_workday(D(2025, 9, 28))  # Sunday 调休上班
    assert not any(is_workday(D(2025, 10, d)) for d in range(1, 9))  # 10/1–10/8
    assert is_workday(D(2025, 10, 11))  # Saturday 调休上班
    assert working_days_before(D(2025, 10, 10), 3) == D(2025, 9, 29)
    assert working_days_before(D(2025, 10, 13), 3) == D(2025, 10, 9)  # counts Saturday 10/11
    assert working_days_before(D(2025, 10, 9), 3) == D(2025, 9, 28)  # counts Sunday 9/28


def test_national_day_2026_with_its_adjusted_sunday_and_saturday():
    assert is_workday(D(2026, 9, 20))  # Sunday
    assert not any(is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert is_workday(D(2026, 10, 10))  # Saturday
    assert working_days_before(D(2026, 10, 9), 3) == D(2026, 9, 29)


def test_zero_working_days_before_is_the_day_itself():
    assert working_days_before(D(2026, 3, 2), 0) == D(2026, 3, 2)


def test_working_days_between_counts_what_working_days_before_stepped_over():
    # Across Spring Festival 2026: 2/13 (Friday), 2/14 (调休 Saturday) and 2/24 lie before 2/25.
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 25)) == 3
    for n in (1, 3, 10):
        assert working_days_between(working_days_before(D(2026, 2, 25), n), D(2026, 2, 25)) == n
    assert working_days_between(D(2026, 2, 25), D(2026, 2, 25)) == 0


@pytest.mark.parametrize(
    "day,first",
    [
        (D(2026, 3, 4), D(2026, 3, 2)),  # an ordinary week: Monday
        (D(2025, 10, 6), D(2025, 10, 9)),  # the week after 国庆 2025 starts on Thursday
        (D(2025, 10, 12), D(2025, 10, 9)),
        (D(2025, 9, 29), D(2025, 9, 29)),  # 国庆 starts on Wednesday: Monday still works
        (D(2025, 9, 24), D(2025, 9, 22)),  # the week whose Sunday 9/28 is 调休: Monday comes first
        (D(2026, 10, 5), D(2026, 10, 8)),  # after 国庆 2026: Thursday
        (D(2026, 2, 18), None),  # Spring Festival 2026: 2/16–2/22 has no working day at all
        (D(2026, 2, 9), D(2026, 2, 9)),
    ],
)
def test_first_workday_of_the_week(day, first):
    assert first_workday_of_week(day) == first


def test_a_year_without_data_falls_back_to_weekends_only_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="milestones.workdays"):
        assert years_without_data([2025, 2026, 2027]) == [2027]
        assert is_workday(D(2027, 2, 8))  # a Monday: no data, so a working day
        assert not is_workday(D(2027, 2, 6))  # a Saturday
    assert "No holiday calendar data for 2027" in caplog.text


def test_calendar_rows_an_administrator_enters_take_effect_at_once():
    assert first_workday_of_week(D(2027, 2, 10)) == D(2027, 2, 8)
    # A week whose Monday–Saturday are holidays and whose Sunday is an adjusted working day.
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=D(2027, 2, d), is_workday=False, name="春节") for d in range(8, 13)]
    )
    CalendarDay.objects.create(date=D(2027, 2, 14), is_workday=True, name="春节调休上班")
    assert years_without_data([2027]) == []
    assert first_workday_of_week(D(2027, 2, 10)) == D(2027, 2, 14)


def test_the_seed_names_days_in_chinese_and_stores_only_exceptions():
    day = CalendarDay.objects.get(date=D(2026, 2, 16))
    assert (day.is_workday, day.name) == (False, "春节")
    assert CalendarDay.objects.get(date=D(2025, 9, 28)).name == "国庆节调休上班"
    assert not CalendarDay.objects.filter(date=D(2026, 10, 3)).exists()  # a Saturday is off anyway


def test_a_year_of_lookups_reads_the_table_once(django_assert_max_num_queries):
    days = [D(2026, 1, 1) + datetime.timedelta(days=i) for i in range(365)]
    with django_assert_max_num_queries(1):
        # 248 working days in 2026, as chinesecalendar counts them.
        assert sum(is_workday(d) for d in days) == 248


def test_the_calendar_admin_warns_about_a_year_without_data(admin_client):
    import time_machine
    from zoneinfo import ZoneInfo

    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        response = admin_client.get("/admin/milestones/calendarday/")
    assert response.status_code == 200
    assert "尚无 2027 年的节假日与调休数据" in response.content.decode()
