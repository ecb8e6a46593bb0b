"""python manage.py report_leader --leader NAME [--as-of YYYY-MM-DD] [--format json|pdf|xlsx] [--output FILE]:
a city leader's contact projects."""

from django.core.management.base import BaseCommand, CommandError

from projects.models import Leader
from reports import pdf, selectors, xlsx

from ._common import add_output_arguments, parse_as_of, write_result


class Command(BaseCommand):
    help = "市领导联系重大项目情况报告：JSON、PDF 或 Excel"

    def add_arguments(self, parser):
        parser.add_argument("--leader", required=True, help="联系市领导的姓名或职务（与系统中一致）")
        add_output_arguments(parser)

    def handle(self, *args, leader, as_of, fmt, output, **options):
        as_of = parse_as_of(as_of)
        found = Leader.objects.filter(name=leader).first()
        if found is None:
            known = "、".join(Leader.objects.values_list("name", flat=True)[:20]) or "（无）"
            raise CommandError(f"找不到联系市领导「{leader}」。系统中的市领导：{known}")
        write_result(self, fmt=fmt, output=output, arguments={"leader": found, "as_of": as_of},
                     json=selectors.leader_report_data, pdf=pdf.leader_report_pdf, xlsx=xlsx.leader_report_xlsx)
