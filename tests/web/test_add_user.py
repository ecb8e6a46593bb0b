"""`manage.py add_user` (issue 5): a login with its role, password from stdin, Chinese errors."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from projects.models import Leader, Role

pytestmark = pytest.mark.django_db


class Piped(io.StringIO):
    def isatty(self):
        return False


def run(*args):
    out = io.StringIO()
    call_command("add_user", *args, stdin=Piped("s3cret-pass\n"), stdout=out)
    return out.getvalue()


def test_it_creates_a_unit_user_with_the_password_from_stdin():
    output = run("zrzy", "--role", "unit", "--unit", "市自然资源局")
    user = authenticate(username="zrzy", password="s3cret-pass")
    assert user.profile.role == Role.UNIT and user.profile.unit.name == "市自然资源局"
    assert "已创建" in output and not user.is_staff


def test_it_links_a_leader_account_to_its_leader():
    leader = Leader.objects.create(name="王市长")
    run("wang", "--role", "leader", "--leader", "王市长")
    leader.refresh_from_db()
    assert leader.user.username == "wang"


def test_an_admin_gets_the_django_admin():
    run("root", "--role", "admin")
    user = authenticate(username="root", password="s3cret-pass")
    assert user.is_staff and user.is_superuser


def test_an_unknown_unit_is_a_chinese_error_with_close_names():
    with pytest.raises(CommandError, match="未知的责任单位：市自然资源.*市自然资源局"):
        run("x", "--role", "unit", "--unit", "市自然资源")


def test_an_unknown_leader_is_a_chinese_error():
    with pytest.raises(CommandError, match="未知的市领导"):
        run("x", "--role", "leader", "--leader", "不存在")


def test_a_unit_user_needs_a_unit():
    with pytest.raises(CommandError, match="--unit"):
        run("x", "--role", "unit")


def test_running_it_again_updates_the_role():
    run("same", "--role", "center")
    run("same", "--role", "unit", "--unit", "市统计局")
    assert authenticate(username="same", password="s3cret-pass").profile.role == Role.UNIT


def test_an_address_that_is_not_an_email_is_refused_and_nothing_created():
    from django.contrib.auth import get_user_model

    with pytest.raises(CommandError, match="电子邮箱格式不正确：not-an-email"):
        run("bad", "--role", "center", "--email", "not-an-email")
    assert not get_user_model().objects.filter(username="bad").exists()


def test_a_valid_email_is_saved():
    run("mail", "--role", "center", "--email", "office@sz.gov.cn")
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="mail").email == "office@sz.gov.cn"
