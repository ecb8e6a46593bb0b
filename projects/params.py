"""The dated query parameters (year, as_of), parsed against the product's date window
(projects.validation); a value outside it is a Chinese 400 (web.params.BadParameter)."""

import datetime

from django.utils import timezone

from web.params import BadParameter

from .validation import DATE_MAX, DATE_MESSAGE, DATE_MIN


def date_param(params, name="as_of", *, default) -> datetime.date:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"参数 {name} 应为 YYYY-MM-DD 格式的日期") from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise BadParameter(f"参数 {name}：{DATE_MESSAGE}")
    return day


def year_param(params, name="year", *, default) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or not DATE_MIN.year <= int(raw) <= DATE_MAX.year:
        raise BadParameter(f"参数 {name}：年度应为 {DATE_MIN.year} 至 {DATE_MAX.year} 之间的整数")
    return int(raw)


def as_of_param(request) -> datetime.date:
    """An API request's ?as_of=, by default today in Asia/Shanghai (DOMAIN.md section 4)."""
    return date_param(request.query_params, "as_of", default=timezone.localdate())
