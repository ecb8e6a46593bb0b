"""python manage.py backup [--output FILE] (`make backup`): see config/backup.py."""

from django.core.management.base import BaseCommand, CommandError

from config import backup


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份）和上传的文件，生成一个 .tar.gz"

    def add_arguments(self, parser):
        parser.add_argument("--output", help="备份文件路径（默认 var/backups/backup-时间.tar.gz）")

    def handle(self, *args, output=None, **options):
        try:
            path = backup.backup(output=output)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已备份：{path}")
