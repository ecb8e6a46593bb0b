"""`python manage.py escalate_overdue [--as-of YYYY-MM-DD] [--dry-run]`: 逾期超过 30 天的节点升级督办."""

from notifications import services

from ._job import JobCommand


class Command(JobCommand):
    help = "逾期超过 30 天的节点升级督办"
    job = services.escalate_overdue
