"""python manage.py restore FILE [--noinput] (`make restore FILE=…`): see config/backup.py."""

from django.core.management.base import BaseCommand, CommandError

from config import backup


class Command(BaseCommand):
    help = "用备份文件替换当前数据库和上传的文件，并核对每张表的行数"

    def add_arguments(self, parser):
        parser.add_argument("file", help="make backup 生成的 .tar.gz")
        parser.add_argument("--noinput", action="store_true", help="不询问确认")

    def handle(self, *args, file, noinput=False, **options):
        try:
            manifest = backup.read_manifest(file)
            if not noinput:
                answer = input(f"将用 {manifest['created_at']} 的备份替换当前全部数据，输入 yes 确认：")
                if answer.strip().lower() != "yes":
                    raise CommandError("已取消，未做任何修改")
            manifest = backup.restore(path=file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(manifest["counts"].values())
        self.stdout.write(f"已恢复：{file}（{manifest['created_at']}，{len(manifest['counts'])} 张表共 {total} 行，已核对）")
