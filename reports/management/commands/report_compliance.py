"""python manage.py report_compliance [--as-of YYYY-MM-DD] [--format json|pdf|xlsx] [--output FILE]:
the 标准地 agreement checked at 达产 and the 亩均 ranking (DOMAIN.md sections 10 and 11)."""

from django.core.management.base import BaseCommand

from reports import compliance, pdf, xlsx

from ._common import add_output_arguments, parse_as_of, write_result


class Command(BaseCommand):
    help = "标准地达产复核（亩均论英雄）：JSON、PDF 或 Excel"

    def add_arguments(self, parser):
        add_output_arguments(parser)

    def handle(self, *args, as_of, fmt, output, **options):
        write_result(self, fmt=fmt, output=output, arguments={"as_of": parse_as_of(as_of)},
                     json=compliance.compliance_report, pdf=pdf.compliance_pdf, xlsx=xlsx.compliance_xlsx)
