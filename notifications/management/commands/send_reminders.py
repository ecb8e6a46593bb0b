"""`python manage.py send_reminders [--as-of YYYY-MM-DD] [--dry-run]`: 节点到期提醒（提前 N 个工作日）."""

from notifications import services

from ._job import JobCommand


class Command(JobCommand):
    help = "节点到期提醒（提前 N 个工作日）"
    job = services.send_reminders
