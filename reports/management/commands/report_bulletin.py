"""python manage.py report_bulletin [--as-of YYYY-MM-DD] [--format json|pdf|xlsx] [--output FILE]:
the weekly bulletin (周通报) for the 7 days ending on the as-of date."""

from django.core.management.base import BaseCommand

from reports import bulletin, selectors, xlsx

from ._common import add_output_arguments, parse_as_of, write_result


class Command(BaseCommand):
    help = "重大项目推进情况周通报：JSON、PDF 或 Excel（统计截止日前 7 天）"

    def add_arguments(self, parser):
        add_output_arguments(parser)

    def handle(self, *args, as_of, fmt, output, **options):
        as_of = parse_as_of(as_of)
        write_result(self, fmt=fmt, output=output, arguments={"as_of": as_of},
                     json=selectors.bulletin_data, pdf=bulletin.bulletin_pdf, xlsx=xlsx.bulletin_xlsx)
