"""python manage.py report_1330 --year Y [--as-of YYYY-MM-DD] [--format json|pdf|xlsx] [--output FILE]
(DOMAIN.md section 9)."""

from django.core.management.base import BaseCommand, CommandError

from reports import pdf, selectors, xlsx

from ._common import add_output_arguments, parse_as_of, write_result


class Command(BaseCommand):
    help = "“1330”目标进度（亿元以上、10亿元以上制造业项目）：JSON、PDF 或 Excel"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="统计年度，如 2026")
        add_output_arguments(parser)

    def handle(self, *args, year, as_of, fmt, output, **options):
        as_of = parse_as_of(as_of)
        if not 1900 <= year <= 2100:
            raise CommandError(f"--year 应为四位数年份，收到：{year}")
        write_result(self, fmt=fmt, output=output, arguments={"year": year, "as_of": as_of},
                     json=selectors.progress_1330, pdf=pdf.progress_1330_pdf, xlsx=xlsx.progress_1330_xlsx)
