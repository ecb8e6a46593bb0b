"""python manage.py export_ledger FILE.xlsx: every project, in the import format (DOMAIN.md section 9)."""

from django.core.management.base import BaseCommand

from projects.ledger import export_ledger
from projects.models import Project


class Command(BaseCommand):
    help = "导出项目台账（Excel），格式与导入一致"

    def add_arguments(self, parser):
        parser.add_argument("file", help="输出文件（.xlsx）")

    def handle(self, *args, file, **options):
        with open(file, "wb") as stream:
            count = export_ledger(projects_queryset=Project.objects.order_by("code"), stream=stream)
        self.stdout.write(f"已导出 {count} 个项目到 {file}")
