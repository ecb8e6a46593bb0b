"""Issue 8 section 3: passwords of at least 10 characters of three kinds, not common, not numeric,
not like the user name; enforced in add_user, the admin and the password page, in Chinese."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


class Piped(io.StringIO):
    def isatty(self):
        return False


def add_user(username, password):
    call_command("add_user", username, "--role", "center", stdin=Piped(password + "\n"), stdout=io.StringIO())


@pytest.mark.parametrize(("password", "message"), [
    ("12345678", "密码长度太短"),
    ("1234567890", "只包含数字"),
    ("password", "太常见"),
    ("Password12", "太常见"),
    ("zhangsanfeng", "用户名 太相似"),
    ("abcdefghijk", "至少 3 种"),
    ("abcdef12345", "至少 3 种"),
])
def test_add_user_refuses_a_weak_password_in_chinese(password, message):
    with pytest.raises(CommandError, match=message):
        add_user("zhangsanfeng", password)
    assert not get_user_model().objects.filter(username="zhangsanfeng").exists()


def test_add_user_accepts_a_strong_password():
    add_user("zhangsan", "Shengzhou-2026")
    assert get_user_model().objects.get(username="zhangsan").check_password("Shengzhou-2026")


def test_the_admin_refuses_a_weak_password_for_a_new_user(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post("/admin/auth/user/add/", {"username": "newbie", "usable_password": "true",
                                                     "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200 and "密码长度太短" in response.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_the_admin_refuses_a_weak_password_change(admin_user, center_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/admin/auth/user/{center_user.pk}/password/",
                           {"usable_password": "true", "password1": "center2026", "password2": "center2026"})
    assert response.status_code == 200 and "至少 3 种" in response.content.decode()


def test_the_password_page_refuses_a_weak_password(center_user):
    client = Client()
    client.force_login(center_user)
    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "center1234",
                                          "new_password2": "center1234"})
    assert response.status_code == 200 and "至少 3 种" in response.content.decode()
    center_user.refresh_from_db()
    assert center_user.check_password(PASSWORD)
