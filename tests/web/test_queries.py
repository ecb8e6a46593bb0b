"""Issue 5: every page's query count is independent of the number of projects (3 vs 30)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tokens import issue_token
from projects.models import Instruction, ProgressNote
from tests.factories import ProblemFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("dashboard", None), ("project_list", None), ("project_list", "?leader="), ("project_detail", "SZ-A"),
    ("problem_list", None), ("inbox", None), ("my_contacts", None), ("my_nodes", None), ("reports", None),
]
ROLE_PAGES = {
    "center_user": ["dashboard", "project_list", "project_detail", "problem_list", "inbox", "reports"],
    "leader_user": ["dashboard", "project_list", "project_detail", "problem_list", "my_contacts", "reports"],
    "land_user": ["dashboard", "project_list", "project_detail", "problem_list", "my_nodes", "inbox"],
    # The project's own unit: the problems are assigned to it, so every card carries its reply form.
    "unit_user": ["dashboard", "project_list", "project_detail", "problem_list", "my_nodes", "inbox"],
}


def _add_projects(n, *, unit, leader):
    for i in range(n):
        project = ProjectFactory(
            code=f"Q{i:03d}", responsible_unit=unit, contact_leader=leader,
            signing_date=datetime.date(2025, 10, 1) + datetime.timedelta(days=i),
        )
        problem = ProblemFactory(project=project, raised_on=datetime.date(2026, 6, 1))
        Instruction.objects.create(problem=problem, leader=leader, text="加快")
        ProgressNote.objects.create(project=project, text="进展")


def _count(client, url):
    """The page's queries once the process is warm (a first request can fill a process-wide cache,
    the workday calendar or the content types, that an earlier test may or may not have filled),
    with the cached counts emptied (projects.cache): every count is read, as after a change."""
    from django.core.cache import cache

    assert client.get(url).status_code == 200, url
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in ctx.captured_queries]


def _urls(role):
    for name, arg in PAGES:
        if name not in ROLE_PAGES[role]:
            continue
        if arg and not arg.startswith("?"):
            yield reverse(name, args=[arg])
        else:
            yield reverse(name) + (arg or "")


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_page_queries_do_not_grow_with_projects(client, request, role, project_a, unit_a, leader):
    user = request.getfixturevalue(role)
    client.force_login(user)
    _add_projects(3, unit=unit_a, leader=leader)
    few = {url: _count(client, url) for url in _urls(role)}
    _add_projects(30, unit=unit_a, leader=leader)
    many = {url: _count(client, url) for url in _urls(role)}
    assert {url: len(sql) for url, sql in many.items()} == {url: len(sql) for url, sql in few.items()}, _diff(few, many)


def _diff(few, many):
    """The statements of the pages whose counts differ, so that a failure names the query that grew."""
    lines = []
    for url in few:
        if len(few[url]) != len(many[url]):
            lines.append(f"{url}: 3 projects {len(few[url])}, 33 projects {len(many[url])}")
            lines += [f"  - {sql[:300]}" for sql in few[url] if sql not in many[url]]
            lines += [f"  + {sql[:300]}" for sql in many[url] if sql not in few[url]]
    return "\n".join(lines)


def test_api_list_queries_do_not_grow_with_projects(client, center_user, unit_a, leader):
    headers = {"HTTP_AUTHORIZATION": f"Token {issue_token(center_user)}"}

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **headers).status_code == 200
        return len(ctx.captured_queries)

    _add_projects(3, unit=unit_a, leader=leader)
    few = [count("/api/projects/"), count("/api/projects/Q001/"), count("/api/overdue/")]
    _add_projects(30, unit=unit_a, leader=leader)
    assert [count("/api/projects/"), count("/api/projects/Q001/"), count("/api/overdue/")] == few
