"""Issue 8 section 3: wrong passwords lock an account and an address (django-axes), with a Chinese
message and an administrator's unlock; logins, failed logins and logouts are on the record."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def page_login(username, password, address="10.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/login/", {"username": username, "password": password})


def api_login(username, password, address="10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post("/api/auth/token/", {"username": username, "password": password},
                                               format="json")


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(center_user):
    for _ in range(4):
        assert page_login("center", "wrong")[1].status_code == 200
    assert page_login("center", "wrong")[1].status_code == 429
    client, response = page_login("center", PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode() and not logged_in(client)


def test_four_wrong_passwords_then_the_right_one_logs_in_and_clears_the_count(center_user):
    for _ in range(4):
        page_login("center", "wrong")
    client, response = page_login("center", PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.filter(username="center").exists()


def test_the_token_endpoint_locks_out_with_a_chinese_json_message(center_user):
    for _ in range(4):
        assert api_login("center", "wrong").status_code == 400
    assert api_login("center", "wrong").status_code == 429
    response = api_login("center", PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"] and "token" not in response.json()


def test_failures_on_the_page_and_the_api_add_up(center_user):
    for _ in range(3):
        page_login("center", "wrong")
    for _ in range(2):
        api_login("center", "wrong")
    assert api_login("center", PASSWORD).status_code == 429


def test_an_account_is_locked_whatever_address_the_guesses_come_from(center_user):
    for n in range(5):
        page_login("center", "wrong", address=f"10.0.1.{n}")
    assert page_login("center", PASSWORD, address="10.0.2.1")[1].status_code == 429


def test_an_address_is_locked_after_twenty_failures_on_any_accounts(center_user):
    for n in range(20):
        page_login(f"guess{n}", "wrong", address="10.0.3.1")
    assert page_login("center", PASSWORD, address="10.0.3.1")[1].status_code == 429
    assert page_login("center", PASSWORD, address="10.0.3.2")[1].status_code == 302


def test_an_office_sharing_an_address_is_not_locked_by_a_few_typos(center_user):
    for n in range(19):
        page_login(f"colleague{n % 5}", "typo", address="10.0.4.1")
    assert page_login("center", PASSWORD, address="10.0.4.1")[1].status_code == 302


def test_the_lock_lifts_thirty_minutes_after_the_last_try(center_user):
    start = datetime.datetime(2026, 6, 30, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            page_login("center", "wrong")
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert page_login("center", PASSWORD)[1].status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=29 + 29), tick=False):
        assert page_login("center", PASSWORD)[1].status_code == 429  # trying while locked restarts the clock
    with time_machine.travel(start + datetime.timedelta(minutes=29 + 29 + 31), tick=False):
        assert page_login("center", PASSWORD)[1].status_code == 302


def test_an_administrator_unlocks_an_account_in_the_admin(center_user, admin_user):
    for _ in range(5):
        page_login("center", "wrong")
    attempt = AccessAttempt.objects.get(username="center")
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get("/admin/axes/accessattempt/").status_code == 200
    assert admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert page_login("center", PASSWORD)[1].status_code == 302


def test_logins_failures_and_logouts_are_recorded_and_shown_to_administrators(center_user, admin_user):
    page_login("center", "wrong", address="10.0.5.1")
    client, _ = page_login("center", PASSWORD, address="10.0.5.2")
    client.post("/logout/")
    failure = AccessFailureLog.objects.get(username="center")
    assert failure.ip_address == "10.0.5.1"
    login = AccessLog.objects.get(username="center")
    assert login.ip_address == "10.0.5.2" and login.logout_time is not None

    admin = Client()
    admin.force_login(admin_user)
    for page, label in (("/admin/axes/accesslog/", "登录记录"), ("/admin/axes/accessfailurelog/", "登录失败记录")):
        response = admin.get(page, HTTP_ACCEPT_LANGUAGE="zh-CN")
        body = response.content.decode()
        assert response.status_code == 200 and "center" in body and label in body


def test_the_login_records_are_not_open_to_the_center(center_user):
    client = Client()
    client.force_login(center_user)
    assert client.get("/admin/axes/accesslog/").status_code == 302  # to the admin login


def test_token_logins_and_revocations_are_recorded(center_user):
    token = api_login("center", PASSWORD, address="10.0.6.1").json()["token"]
    record = AccessLog.objects.get(username="center")
    assert record.path_info == "/api/auth/token/" and record.ip_address == "10.0.6.1" and record.logout_time is None
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/auth/token/revoke/").status_code == 204
    record.refresh_from_db()
    assert record.logout_time is not None


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(settings, center_user):
    settings.BEHIND_PROXY = True
    client = Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.9.8.7")
    client.post("/login/", {"username": "center", "password": "wrong"})
    assert AccessFailureLog.objects.get(username="center").ip_address == "10.9.8.7"


def test_an_inactive_account_cannot_log_in(db):
    UserFactory(username="gone", is_active=False)
    assert page_login("gone", PASSWORD)[1].status_code == 200
    assert api_login("gone", PASSWORD).status_code == 400
