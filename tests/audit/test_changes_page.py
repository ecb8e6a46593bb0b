"""Issue 8 §2: the project page's 变更记录 — Chinese labels, old → new, who, when, channel — for the
center and administrators only, a page of records at a time in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.context import Channel, audit_channel
from projects.services import progress_note_add, project_update

pytestmark = pytest.mark.django_db


def test_the_center_sees_who_changed_what_when_and_how(client, center_user, project_a, unit_b):
    with audit_channel(Channel.API, user=center_user):
        project_update(project=project_a, responsible_unit=unit_b, currency="USD")
    client.force_login(center_user)
    response = client.get(reverse("project_detail", args=["SZ-A"]))
    body = response.content.decode()
    assert 'data-testid="changes"' in body
    row = next(row for row in response.context["changes"] if row.object_label == "项目")
    assert row.entry.get_channel_display() == "接口" and row.entry.actor == center_user
    assert ("责任单位", "甲单位", "乙单位") in row.fields
    assert ("币种", "人民币", "美元") in row.fields
    assert "甲单位 → <b>乙单位</b>" in body


@pytest.mark.parametrize("role_user", ["admin_user", "center_user"])
def test_the_center_and_administrators_see_the_changes(client, request, role_user, project_a):
    client.force_login(request.getfixturevalue(role_user))
    assert 'data-testid="changes"' in client.get(reverse("project_detail", args=["SZ-A"])).content.decode()


@pytest.mark.parametrize("role_user", ["unit_user", "leader_user", "land_user"])
def test_units_and_leaders_do_not_see_the_changes(client, request, role_user, project_a):
    client.force_login(request.getfixturevalue(role_user))
    response = client.get(reverse("project_detail", args=["SZ-A"]))
    assert response.status_code == 200
    assert 'data-testid="changes"' not in response.content.decode() and "changes" not in response.context


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["changes"])


def _add_changes(project, user, leader, n):
    """n notes and n edits, each edit changing the contact leader (to or from `leader`)."""
    with audit_channel(Channel.PAGE, user=user):
        for i in range(n):
            progress_note_add(project=project, text=f"进展{i}", user=user, unit=project.responsible_unit)
            project_update(project=project, remark=f"备注{i}",
                           contact_leader=None if project.contact_leader_id else leader)


def test_the_changes_cost_the_same_queries_however_many_there_are(client, center_user, project_a, leader):
    """Names behind references are looked up once per referenced model for the whole page, so the
    count depends on which kinds of record a page holds, never on how many."""
    client.force_login(center_user)
    url = reverse("project_detail", args=["SZ-A"])
    _, shown_few = _count(client, url)  # the creation records only
    _add_changes(project_a, center_user, leader, 10)
    page, shown_page = _count(client, url)
    _add_changes(project_a, center_user, leader, 40)
    many, shown_many = _count(client, url)
    assert shown_few < shown_page == shown_many == 20  # one page
    assert many == page
    assert _count(client, url + "?page=4")[0] == many
