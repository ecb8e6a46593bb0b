"""`python manage.py open_factor_problems [--as-of YYYY-MM-DD] [--dry-run]`: the daily job of DOMAIN.md
section 11 by hand — each need that fell 逾期未保障 opens its problem, once per needed-by date."""

from django.core.management.base import BaseCommand

from milestones.factor_services import open_overdue_problems

from ._common import add_as_of, parse_as_of


class Command(BaseCommand):
    help = "要素逾期未保障的需求转为协调问题（每个需保障日期一次）"

    def add_arguments(self, parser):
        add_as_of(parser)
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        opened = open_overdue_problems(as_of=parse_as_of(as_of), dry_run=dry_run)
        self.stdout.write(f"{'将新建' if dry_run else '新建'} {len(opened)} 个要素保障问题")
