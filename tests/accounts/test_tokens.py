"""Issue 8 section 3: API tokens expire, a password change or a deactivation revokes them, and a user
may hold several (one per device or script); the README's token flow keeps working."""

import datetime

import pytest
import time_machine
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tokens import issue_token

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def token_login():
    response = APIClient().post("/api/auth/token/", {"username": "center", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def status_with(token):
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/projects/").status_code


def test_each_login_gives_a_new_token_and_every_one_works(center_user):
    first, second = token_login(), token_login()
    assert first != second
    assert status_with(first) == 200 and status_with(second) == 200


def test_only_a_hash_of_the_token_is_stored(center_user):
    token = token_login()
    stored = AuthToken.objects.get(user=center_user)
    assert token not in (stored.digest, stored.token_key)


def test_a_token_expires_after_seven_days(center_user):
    start = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        token = token_login()
    with time_machine.travel(start + datetime.timedelta(days=6, hours=23), tick=False):
        assert status_with(token) == 200
    with time_machine.travel(start + datetime.timedelta(days=7, minutes=1), tick=False):
        response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/projects/")
        assert response.status_code == 401 and "已过期" in response.json()["detail"]


def test_the_lifetime_is_configurable(center_user, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=1)}
    start = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        token = token_login()
    with time_machine.travel(start + datetime.timedelta(days=1, minutes=1), tick=False):
        assert status_with(token) == 401


def test_a_password_change_revokes_every_token(center_user):
    tokens = [token_login(), token_login()]
    center_user.set_password("Another-Pass-2026")
    center_user.save()
    assert [status_with(t) for t in tokens] == [401, 401]


def test_changing_the_password_on_the_page_revokes_the_tokens_and_keeps_this_session(center_user):
    token = token_login()
    client = Client()
    client.force_login(center_user)
    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "Shengzhou-2026!",
                                          "new_password2": "Shengzhou-2026!"})
    assert response.status_code == 302
    assert status_with(token) == 401
    assert client.get("/").status_code == 200


def test_deactivating_a_user_revokes_the_tokens(center_user):
    token = token_login()
    center_user.is_active = False
    center_user.save()
    assert status_with(token) == 401
    assert not AuthToken.objects.filter(user=center_user).exists()


def test_a_login_elsewhere_leaves_the_tokens_alone(center_user):
    token = token_login()
    Client().post("/login/", {"username": "center", "password": PASSWORD})
    assert status_with(token) == 200


def test_revoking_ends_only_the_token_used(center_user):
    laptop, script = issue_token(center_user), issue_token(center_user)
    assert APIClient(HTTP_AUTHORIZATION=f"Token {script}").post("/api/auth/token/revoke/").status_code == 204
    assert status_with(script) == 401 and status_with(laptop) == 200


def test_a_wrong_token_is_refused_in_chinese():
    response = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 64).get("/api/projects/")
    assert response.status_code == 401 and "令牌无效" in response.json()["detail"]
