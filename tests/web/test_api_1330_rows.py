"""Issue 12 part 2: the 1330 API sends the per-project rows only when asked, a page at a time."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db
URL = "/api/reports/1330/?year=2026&as_of=2026-12-31"
CONTRACT = ("year", "as_of", "time_progress", "targets", "counts", "completion", "projects", "by_month",
            "by_cluster", "by_source", "node_reached")


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def counted(n, *, start=0):
    for i in range(start, start + n):
        ProjectFactory(code=f"K{i:03d}", total_investment=Decimal("20000"),
                       signing_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i))


def test_the_1330_json_keeps_its_contract_and_leaves_the_rows_out_by_default(center_user):
    counted(3)
    body = api(center_user).get(URL).json()
    assert all(key in body for key in CONTRACT)
    assert body["projects"]["100m"] == ["K000", "K001", "K002"]
    assert "rows" not in body and "rows_page" not in body


def test_include_rows_pages_through_every_counted_project_once(center_user):
    counted(5)
    client = api(center_user)
    first = client.get(URL + "&include=rows&page_size=2").json()
    assert first["rows_page"] == {"page": 1, "pages": 3, "page_size": 2, "count": 5}
    codes = [row["code"] for page in (1, 2, 3)
             for row in client.get(URL + f"&include=rows&page_size=2&page={page}").json()["rows"]]
    assert codes == first["projects"]["100m"] == ["K000", "K001", "K002", "K003", "K004"]


@pytest.mark.parametrize("query", ["&page=9", "&page=x", "&page_size=0", "&page_size=99999"])
def test_a_page_out_of_range_is_a_400_in_chinese(center_user, query):
    counted(2)
    response = api(center_user).get(URL + "&include=rows" + query)
    assert response.status_code == 400
    assert any("页" in str(message) for message in response.json().values())


def test_the_1330_api_queries_do_not_grow_with_projects(center_user):
    client = api(center_user)
    counted(2)
    client.get(URL + "&include=rows")  # token and session lookups settle
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL + "&include=rows").status_code == 200
    counted(20, start=2)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL + "&include=rows").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_only_the_asked_pages_rows_are_built(center_user, monkeypatch):
    """Issue 12 part 2: a page of 2 out of 5 builds 2 JSON rows, not 5 and a slice."""
    from reports import selectors

    built = []
    original = selectors.public_row
    monkeypatch.setattr(selectors, "public_row", lambda row, **kw: built.append(row["code"]) or original(row, **kw))
    counted(5)
    body = api(center_user).get(URL + "&include=rows&page_size=2&page=3").json()
    assert [row["code"] for row in body["rows"]] == built == ["K004"]
    assert body["rows_page"] == {"page": 3, "pages": 3, "page_size": 2, "count": 5}
    assert "rows_count" not in body


@pytest.mark.parametrize("query", ["&page=0", "&page=-1"])
def test_a_page_below_one_is_a_400_in_chinese(center_user, query):
    counted(1)
    response = api(center_user).get(URL + "&include=rows" + query)
    assert response.status_code == 400 and "页" in str(response.json())
