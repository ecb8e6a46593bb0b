"""Issue 8 section 4: whatever a dropped database connection breaks (the view, a cursor's close, the
session's save after the view) answers 503 in Chinese with Retry-After, on pages and under /api/."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper

from projects.models import Role
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

# /projects/ and the browsable /api/projects/ both render a filter form whose model choices are read
# through .iterator(), which closes its cursor in a finally.
URLS = ["/projects/", "/api/projects/"]


@pytest.fixture
def center_client(client):
    ProjectFactory(code="SZ-MW-1")
    client.force_login(UserFactory(username="center-mw", role=Role.CENTER))
    # What the user is answered, not the exception the test client would re-raise after a handler ran.
    client.raise_request_exception = False
    return client


def assert_database_unavailable(response, url):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "数据库暂时不可用，请稍后重试" in body and "Traceback" not in body
    # The answer replaces the page the view had rendered: none of it reaches the user.
    assert "SZ-MW-1" not in body
    assert response["Content-Type"].startswith("application/json" if url.startswith("/api/") else "text/html")


@pytest.mark.parametrize("url", URLS)
def test_a_dropped_connection_in_the_sessions_save_after_the_view_answers_503(center_client, url):
    stored = {s.session_key: (s.session_data, s.expire_date) for s in Session.objects.all()}
    dropped = OperationalError("terminating connection due to administrator command")
    # Two minutes after the login: the session's expiry is due to move (accounts.middleware), a save.
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2)
    with mock.patch.object(Session, "save", side_effect=dropped), time_machine.travel(later, tick=False):
        response = center_client.get(url, HTTP_ACCEPT="text/html")
    assert_database_unavailable(response, url)
    # Nothing half-written: the stored session is as it was, and no cookie names an unsaved one.
    assert {s.session_key: (s.session_data, s.expire_date) for s in Session.objects.all()} == stored
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("url", URLS)
def test_a_dropped_connection_the_driver_reports_unwrapped_answers_503(center_client, url):
    # Django wraps fetches but not close(): the driver's own error class reaches the view's caller.
    unwrapped = connection.Database.OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(CursorWrapper, "close", side_effect=unwrapped, create=True):
        response = center_client.get(url, HTTP_ACCEPT="text/html")
    assert_database_unavailable(response, url)


@pytest.mark.parametrize("url", URLS)
def test_a_programming_error_still_answers_500_not_503(center_client, url):
    with mock.patch.object(CursorWrapper, "close", side_effect=ValueError("a bug"), create=True):
        response = center_client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert "数据库暂时不可用" not in response.content.decode()
