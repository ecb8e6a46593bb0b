"""`python manage.py overdue [--as-of YYYY-MM-DD] [--format json|table]` (DOMAIN.md section 9)."""

import json

from django.core.management.base import BaseCommand

from milestones.selectors import overdue_rows
from milestones.models import NodeType

from ._common import add_as_of, parse_as_of


class Command(BaseCommand):
    help = "列出逾期节点（最逾期在前）"

    def add_arguments(self, parser):
        add_as_of(parser)
        parser.add_argument("--format", choices=["json", "table"], default="json")

    def handle(self, *args, as_of=None, format="json", **options):
        rows = overdue_rows(as_of=parse_as_of(as_of))
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write("项目编号\t节点\t计划日期\t逾期天数\t灯色\t责任单位\t联系市领导")
        for r in rows:
            light = "红灯" if r["light"] == "red" else "黄灯"
            self.stdout.write(
                f"{r['project']}\t{NodeType(r['node']).label}\t{r['planned_date']}\t"
                f"{r['overdue_days']}\t{light}\t{r['responsible_unit'] or ''}\t{r['contact_leader'] or ''}"
            )
        self.stdout.write(f"共 {len(rows)} 个逾期节点")
