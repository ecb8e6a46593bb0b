"""Working days (DOMAIN.md section 6): weekends and statutory holidays are off, adjusted working
days (调休上班) are on, from the CalendarDay table.

The table holds only the days that break the weekend rule. A year with no rows at all has no data
(the State Council has not published it, or nobody entered it yet): those years fall back to
weekends-only with a warning, so the product keeps working and says why it may be off.

A year's rows are read once per process and kept; saving or deleting a CalendarDay clears the cache
(see `milestones.apps`), and `clear_cache()` does it by hand.
"""

import datetime
import logging
import threading
from collections.abc import Iterable

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_years: dict[int, dict[datetime.date, bool]] = {}
_warned: set[int] = set()


def clear_cache() -> None:
    with _lock:
        _years.clear()
        _warned.clear()


def _load(years: Iterable[int]) -> None:
    from .models import CalendarDay

    wanted = sorted({y for y in years if y not in _years})
    if not wanted:
        return
    rows = CalendarDay.objects.filter(
        date__gte=datetime.date(wanted[0], 1, 1), date__lte=datetime.date(wanted[-1], 12, 31)
    ).values_list("date", "is_workday")
    loaded: dict[int, dict[datetime.date, bool]] = {y: {} for y in range(wanted[0], wanted[-1] + 1)}
    for day, is_work in rows:
        loaded[day.year][day] = is_work
    with _lock:
        for year in wanted:
            _years[year] = loaded[year]


def _year(year: int) -> dict[datetime.date, bool]:
    if year not in _years:
        # Load the neighbours too: working-day arithmetic near New Year crosses the boundary.
        _load((year - 1, year, year + 1))
    days = _years[year]
    if not days and year not in _warned:
        _warned.add(year)
        logger.warning(
            "No holiday calendar data for %s: counting working days as Monday-Friday only; "
            "enter the year's holidays and adjusted workdays in the admin (CalendarDay)", year
        )
    return days


def years_without_data(years: Iterable[int]) -> list[int]:
    """Section 6: the years among `years` with no CalendarDay rows (weekends-only fallback).
    Logs a warning for each, once per process."""
    years = sorted(set(years))
    _load(years)
    return [y for y in years if not _year(y)]


def is_workday(day: datetime.date) -> bool:
    """Section 6: a listed day says itself (holiday off, 调休 on); otherwise Monday–Friday."""
    listed = _year(day.year).get(day)
    if listed is not None:
        return listed
    return day.weekday() < 5


def working_days_before(day: datetime.date, n: int) -> datetime.date:
    """The working day that lies `n` working days before `day` (section 6 reminders): there are
    exactly n working days from it up to, not including, `day`. n = 0 gives `day` itself."""
    current = day
    counted = 0
    while counted < n:
        current -= datetime.timedelta(days=1)
        if is_workday(current):
            counted += 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days from `start` up to, not including, `end` (0 when `end` is not later): the
    inverse of `working_days_before`, for "still n working days to go" in a reminder."""
    count, day = 0, start
    while day < end:
        count += is_workday(day)
        day += datetime.timedelta(days=1)
    return count


def first_workday_of_week(day: datetime.date) -> datetime.date | None:
    """Section 6: the first working day of the Monday–Sunday week containing `day` (normally its
    Monday; after 国庆 it may be Thursday); None for a week with no working day at all."""
    monday = day - datetime.timedelta(days=day.weekday())
    for offset in range(7):
        candidate = monday + datetime.timedelta(days=offset)
        if is_workday(candidate):
            return candidate
    return None


def _connect_cache_invalidation():
    # Reacting to every save is the one thing a signal is for: an administrator's edit in the
    # admin, a data migration or a shell must all take effect at once.
    from django.db.models.signals import post_delete, post_save

    def _clear(**kwargs):
        clear_cache()

    post_save.connect(_clear, sender="milestones.CalendarDay", weak=False, dispatch_uid="workdays_clear_save")
    post_delete.connect(_clear, sender="milestones.CalendarDay", weak=False, dispatch_uid="workdays_clear_delete")


_connect_cache_invalidation()
