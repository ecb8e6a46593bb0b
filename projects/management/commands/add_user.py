"""`python manage.py add_user USERNAME --role center|unit|leader|admin [--unit NAME] [--leader NAME]`

Creates (or updates) a login with its role (issue 5). The password is read from stdin when it is
piped, else prompted twice, so it never appears in the shell history or the process list.
"""

import difflib
import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from projects.models import Leader, Profile, Role, Unit


class Command(BaseCommand):
    help = "新建或更新登录账号及其角色（密码从标准输入读取，或交互输入两次）"
    stealth_options = ("stdin",)  # tests pass a piped stream

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values, help="center|unit|leader|admin")
        parser.add_argument("--unit", help="责任单位名称（unit 角色必填）")
        parser.add_argument("--leader", help="市领导姓名或职务（leader 角色必填）")
        parser.add_argument("--email", default="", help="电子邮箱（接收提醒）")

    def handle(self, *args, username, role, unit=None, leader=None, email="", **options):
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"电子邮箱格式不正确：{email}") from None
        unit_obj = _find(Unit, unit, "责任单位") if unit else None
        leader_obj = _find(Leader, leader, "市领导") if leader else None
        if role == Role.UNIT and unit_obj is None:
            raise CommandError("责任单位账号须用 --unit 指定单位")
        if role == Role.LEADER and leader_obj is None:
            raise CommandError("市领导账号须用 --leader 指定对应的市领导")
        if leader_obj is not None and leader_obj.user_id and leader_obj.user.username != username:
            raise CommandError(f"市领导「{leader_obj.name}」已关联账号 {leader_obj.user.username}")
        password = self._read_password(options)
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first() or user_model(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不符合要求：" + "；".join(exc.messages)) from None
        with transaction.atomic():
            created = user.pk is None
            user.set_password(password)
            if email:
                user.email = email
            # Administrators use the Django admin; nobody else gets in there.
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.save()
            Profile.objects.update_or_create(user=user, defaults={"role": role, "unit": unit_obj})
            if leader_obj is not None:
                leader_obj.user = user
                leader_obj.save(update_fields=["user"])
        what = "已创建" if created else "已更新"
        scope = f"（{unit_obj or leader_obj}）" if (unit_obj or leader_obj) else ""
        self.stdout.write(self.style.SUCCESS(f"{what}账号 {username}：{Role(role).label}{scope}"))

    def _read_password(self, options):
        stdin = options.get("stdin") or sys.stdin
        if not stdin.isatty():
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("标准输入中没有密码")
            return password
        first = getpass.getpass("密码：")
        second = getpass.getpass("再次输入密码：")
        if first != second:
            raise CommandError("两次输入的密码不一致")
        if not first:
            raise CommandError("密码不能为空")
        return first


def _find(model, name, label):
    """Exact name (or a leader's title); otherwise a Chinese error listing the close known names."""
    obj = model.objects.filter(name=name).first()
    if obj is None and model is Leader:
        obj = model.objects.filter(title=name).first()
    if obj is not None:
        return obj
    known = list(model.objects.values_list("name", flat=True))
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.3)
    hint = f"，相近的有：{'、'.join(close)}" if close else ""
    raise CommandError(f"未知的{label}：{name}{hint}")
