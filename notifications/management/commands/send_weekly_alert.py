"""`python manage.py send_weekly_alert [--as-of YYYY-MM-DD] [--dry-run]` (DOMAIN.md sections 6, 9).

Sends for the week of the as-of date whatever the weekday (the scheduled task is the one that waits
for the first working day); a second run in the same week sends nothing new."""

import json

from django.core.management.base import BaseCommand

from notifications import services

from milestones.management.commands._common import add_as_of, parse_as_of


class Command(BaseCommand):
    help = "发送每周逾期预警"

    def add_arguments(self, parser):
        add_as_of(parser)
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入也不发送")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        summary = services.weekly_alert(as_of=parse_as_of(as_of), dry_run=dry_run)
        if summary["calendar_warning"]:
            self.stderr.write(summary["calendar_warning"])
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
