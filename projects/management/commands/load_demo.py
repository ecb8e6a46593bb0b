"""python manage.py load_demo [--force]: demo projects and one login per role (issue 2 item 7)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.demo import load_demo


class Command(BaseCommand):
    help = "加载嵊州演示数据（约 60 个项目、问题、批示、进展）和各角色演示账号；仅限开发环境"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="DEBUG 关闭时也强制加载（慎用：会写入演示账号）")

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("当前未开启 DEBUG（可能是生产环境），拒绝加载演示数据；确需加载请加 --force")
        result = load_demo()
        if result.skipped:
            self.stdout.write("演示项目已存在，未重复加载；演示账号已重置。")
        else:
            self.stdout.write(f"已加载 {result.created_projects} 个演示项目（含问题、领导批示和项目进展）。")
        self.stdout.write("演示账号（密码均为 Demo@2026sz）：")
        for username, password, role, scope in result.logins:
            self.stdout.write(f"  {username:<8} {password}  {role}{'（' + scope + '）' if scope else ''}")
