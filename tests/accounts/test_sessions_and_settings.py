"""Issue 8 section 3: idle sessions end; production settings pass `check --deploy`; without
SECRET_KEY outside DEBUG the app refuses to start; HTTPS is on behind the proxy."""

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# What the test session (pytest-env, the browser tests) set that a production server does not have.
LOCAL_ONLY = ("DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "LOCAL_SECRET_KEY", "HTTPS", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
              "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "BEHIND_PROXY")


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in LOCAL_ONLY}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_an_idle_session_ends_after_thirty_minutes_and_activity_keeps_it(center_user):
    start = datetime.datetime(2026, 6, 30, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client = Client()
        client.force_login(center_user)
    with time_machine.travel(start + datetime.timedelta(minutes=25), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=50), tick=False):
        assert client.get("/").status_code == 200  # 25 minutes after the last request
    with time_machine.travel(start + datetime.timedelta(minutes=81), tick=False):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_activity_moves_the_expiry_at_most_once_a_minute(center_user):
    """Issue 12: a session was written on every request; now when its last move is a minute old."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = datetime.datetime(2026, 6, 30, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client = Client()
        client.force_login(center_user)

    def writes_at(minutes):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/").status_code == 200
            session = Session.objects.get()
        return sum("django_session" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT")) for q in queries), session

    written, session = writes_at(0.5)
    assert written == 0 and session.expire_date == start + datetime.timedelta(minutes=30)  # the login wrote it
    written, session = writes_at(1)
    assert written == 1 and session.expire_date == start + datetime.timedelta(minutes=31)
    assert writes_at(1.5)[0] == 0  # half a minute later: the expiry stays
    written, session = writes_at(2)
    assert written == 1 and session.expire_date == start + datetime.timedelta(minutes=32)


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50),
                    BEHIND_PROXY="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_secret_key_outside_debug_the_app_refuses_to_start():
    result = manage("check")
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_a_local_run_opts_in_to_a_generated_key(tmp_path):
    result = manage("check", LOCAL_SECRET_KEY="1", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").read_text().strip()


HTTPS_ON = dict(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
                SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)


@override_settings(**HTTPS_ON)
def test_behind_the_proxy_plain_http_is_sent_to_https_and_https_gets_hsts(center_user):
    response = Client().get("/login/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/login/"
    response = Client(HTTP_X_FORWARDED_PROTO="https").get("/login/")
    assert response.status_code == 200 and "max-age=31536000" in response["Strict-Transport-Security"]
    assert response.cookies["csrftoken"]["secure"]
