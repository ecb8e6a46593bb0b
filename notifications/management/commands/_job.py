"""One base for the commands that run a daily job by hand (the scheduled task does the same)."""

from django.core.management.base import BaseCommand

from milestones.management.commands._common import add_as_of, parse_as_of


class JobCommand(BaseCommand):
    """Subclasses set `help` and `job`, a service taking (as_of=, dry_run=) and returning a WriteResult."""

    job = None

    def add_arguments(self, parser):
        add_as_of(parser)
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入也不发送")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        result = type(self).job(as_of=parse_as_of(as_of), dry_run=dry_run)
        verb = "将新建" if dry_run else "新建"
        self.stdout.write(f"{verb} {result.created} 条消息，已存在 {result.existing} 条")
