"""python manage.py report_factors [--as-of YYYY-MM-DD] [--format json|pdf|xlsx] [--output FILE]
(DOMAIN.md section 11): totals per type, the 预警 and 逾期未保障 needs, most urgent first."""

from django.core.management.base import BaseCommand

from milestones.factor_selectors import report_factors
from reports.factors import factors_pdf
from reports.xlsx import factors_xlsx

from ._common import add_output_arguments, parse_as_of, write_result


class Command(BaseCommand):
    help = "要素保障（土地、能耗、资金）：汇总、预警与逾期未保障清单，JSON、PDF 或 Excel"

    def add_arguments(self, parser):
        add_output_arguments(parser)

    def handle(self, *args, as_of, fmt, output, **options):
        write_result(self, fmt=fmt, output=output, arguments={"as_of": parse_as_of(as_of)},
                     json=report_factors, pdf=factors_pdf, xlsx=factors_xlsx)
