"""`python manage.py remind_problems [--as-of YYYY-MM-DD] [--dry-run]`: 问题答复逾期提醒."""

from notifications import services

from ._job import JobCommand


class Command(JobCommand):
    help = "问题答复逾期提醒"
    job = services.remind_overdue_problems
