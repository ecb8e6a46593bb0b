"""Date arithmetic of DOMAIN.md sections 3 and 6."""

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Section 3: calendar months; a day past the end of the target month becomes its last day
    (2025-08-31 + 6 months = 2026-02-28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
