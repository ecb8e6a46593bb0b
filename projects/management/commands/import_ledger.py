"""python manage.py import_ledger FILE.xlsx|.xls|.csv [--dry-run] [--create-missing] (DOMAIN.md section 9)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from projects.ledger import import_ledger


class Command(BaseCommand):
    help = "导入项目台账（.xlsx、.xls 或 .csv）：全部校验通过才写入；任一单元格有误则不写入任何数据，退出码 1"

    def add_arguments(self, parser):
        parser.add_argument("file", help="台账文件（.xlsx、.xls 或 .csv）")
        parser.add_argument("--dry-run", action="store_true", help="只校验并报告将新增/更新的项目，不写入")
        parser.add_argument("--create-missing", action="store_true", help="自动新建台账中出现的未知责任单位和联系市领导")

    def handle(self, *args, file, dry_run, create_missing, **options):
        result = import_ledger(
            path_or_file=file, create_missing=create_missing, dry_run=dry_run, progress=sys.stderr.isatty()
        )
        for line in result.errors:
            self.stderr.write(line)
        if not result.ok:
            # CommandError makes manage.py exit with status 1.
            raise CommandError(result.summary())
        if options["verbosity"] >= 2:
            for label, codes in (("新增", result.created), ("更新", result.updated)):
                if codes:
                    self.stdout.write(f"{label}：{'、'.join(codes)}")
        self.stdout.write(result.summary())
