"""The --as-of option of every command (DOMAIN.md section 4: the default as-of date is today in
Asia/Shanghai). milestones, notifications and reports import it from here: the apps that read
nodes all depend on milestones already, so no import runs against the flow."""

import datetime

from django.core.management.base import CommandError

from projects.models import local_today


def add_as_of(parser):
    parser.add_argument("--as-of", dest="as_of", help="截至日期 YYYY-MM-DD（默认：今天，北京时间）")


def parse_as_of(value) -> datetime.date:
    if not value:
        return local_today()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None
