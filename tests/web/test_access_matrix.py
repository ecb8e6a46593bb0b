"""Issue 8 section 3: the access matrix. Every role (center, two units, two leaders, admin, anonymous)
× every page and API endpoint × an object inside and outside the role's scope, read and write: the
status is the rule's, and no body (list, count, search, export, report, dashboard, message) carries
the code or name of a project outside the role's scope.

A URL added to config/urls.py or an app's urls without a line here fails
`test_every_url_is_in_the_matrix`. Admin pages are covered model by model, from the admin's registry.
"""

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from milestones.models import FactorNeed, FactorType
from notifications.models import Channel, Notification
from projects.models import Role
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["center", "unit_a", "unit_b", "leader_1", "leader_2", "admin", "anonymous"]
KIND = {"center": "center", "unit_a": "unit", "unit_b": "unit", "leader_1": "leader", "leader_2": "leader",
        "admin": "admin", "anonymous": "anon"}
# Each role's own side of the world ("in"); the other side is "out". Units see only their side;
# center, leaders and administrators see both projects, but a leader's report is the leader's own.
SIDE = {"center": "a", "unit_a": "a", "unit_b": "b", "leader_1": "a", "leader_2": "b", "admin": "a",
        "anonymous": "a"}
OTHER = {"a": "b", "b": "a"}
CODES = {"a": ("MXA-0001", "矩阵甲项目"), "b": ("MXB-0002", "矩阵乙项目")}
HIDDEN = {"unit_a": CODES["b"], "unit_b": CODES["a"], "anonymous": CODES["a"] + CODES["b"]}


@dataclass
class World:
    users: dict
    projects: dict
    problems: dict
    messages: dict  # side -> a notification in that side's unit user's inbox
    leaders: dict
    needs: dict  # side -> the land need of that side's project, its unit responsible

    def side(self, role, scope):
        return SIDE[role] if scope in ("in", "-") else OTHER[SIDE[role]]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    units = {"a": UnitFactory(name="矩阵甲单位"), "b": UnitFactory(name="矩阵乙单位")}
    leaders = {"a": LeaderFactory(name="矩阵张副市长"), "b": LeaderFactory(name="矩阵李副市长")}
    users = {
        "center": UserFactory(username="mx_center", role=Role.CENTER),
        "unit_a": UserFactory(username="mx_unit_a", role=Role.UNIT, role__unit=units["a"]),
        "unit_b": UserFactory(username="mx_unit_b", role=Role.UNIT, role__unit=units["b"]),
        "leader_1": UserFactory(username="mx_leader_1", role=Role.LEADER),
        "leader_2": UserFactory(username="mx_leader_2", role=Role.LEADER),
        "admin": UserFactory(username="mx_admin", role=Role.ADMIN, is_staff=True, is_superuser=True),
    }
    for side, role in (("a", "leader_1"), ("b", "leader_2")):
        leaders[side].user = users[role]
        leaders[side].save()
    projects, problems, messages, needs = {}, {}, {}, {}
    for side in ("a", "b"):
        code, name = CODES[side]
        # Signed this year, manufacturing, 20亿: in the 1330 and 10亿 lists; its land node is late.
        projects[side] = ProjectFactory(
            code=code, name=name, responsible_unit=units[side], contact_leader=leaders[side],
            signing_date=datetime.date(2026, 2, 1), total_investment=200000,
            planned={"land": datetime.date(2026, 5, 1)},
        )
        problems[side] = ProblemFactory(project=projects[side], assigned_unit=units[side],
                                        raised_on=datetime.date(2026, 6, 1), description=f"{name}用地问题")
        messages[side] = Notification.objects.create(
            kind="reminder", channel=Channel.INBOX, reason=f"mx:{side}", recipient_key=f"mx:{side}",
            recipient=users[f"unit_{side}"], project=projects[side], subject=f"【节点到期提醒】{code} {name}",
            body=f"项目「{code} {name}」供地节点已逾期")
        needs[side] = FactorNeed.objects.create(project=projects[side], factor_type=FactorType.LAND, needed=50,
                                                responsible_unit=units[side])
    return World(users=users, projects=projects, problems=problems, messages=messages, leaders=leaders,
                 needs=needs)


# --- the matrix ----------------------------------------------------------------------------------


def expect(default=None, *, anon=302, out=None, **kinds):
    """The expected status for (role, scope): by kind of role, with `out` overriding outside scope."""

    def expected(role, scope):
        kind = KIND[role]
        if kind == "anon":
            return anon
        if scope == "out" and out and kind in out:
            return out[kind]
        return kinds.get(kind, default)

    return expected


def project_code(world, role, scope):
    return world.projects[world.side(role, scope)].code


@dataclass
class Case:
    name: str
    mode: str  # read | write
    method: str
    path: Callable  # (world, role, scope) -> path
    expected: Callable
    data: dict | Callable = field(default_factory=dict)
    scoped: bool = False
    api: bool = False
    label: str = ""

    def id(self):
        return f"{self.label or self.name}-{self.mode}"


def _project_path(url_name, *extra):
    return lambda w, role, scope: reverse(url_name, args=[project_code(w, role, scope), *extra])


def _search(url_name):
    # A prefix that finds the project, so that the search box echoing it is not taken for a leak.
    return lambda w, role, scope: f"{reverse(url_name)}?q={project_code(w, role, scope)[:6]}"


def _problem_path(action):
    return lambda w, role, scope: reverse("problem_action", args=[w.problems[w.side(role, scope)].pk, action])


def _message_path(w, role, scope):
    """A message in the role's own inbox ("in") or in a unit user's that is not theirs ("out")."""
    user = w.users.get(role)
    if scope == "in" and user is not None and KIND[role] != "unit":
        message = Notification.objects.create(kind="reminder", channel=Channel.INBOX, reason=f"mx:{role}",
                                              recipient_key=f"mx:{role}", recipient=user, subject="本人的消息",
                                              body="正文")
    else:
        message = w.messages[w.side(role, scope)]
    return reverse("inbox_read", args=[message.pk])


def _need_path(url_name):
    return lambda w, role, scope: reverse(url_name, args=[w.needs[w.side(role, scope)].pk])


def _leader_report(fmt):
    return lambda w, role, scope: (f"{reverse('report_download', args=['leader', fmt])}"
                                   f"?leader={w.leaders[w.side(role, scope)].pk}")


GET_ONLY_405 = expect(405, anon=405)  # a POST-only address read with GET
POST_TO_PAGE = expect(302)
ALL_READ = expect(200)
CENTER_ONLY_PAGE = expect(404, center=200, admin=200)
API = dict(api=True)

CASES = [
    # --- login, logout, password -------------------------------------------------------------------
    Case("login", "read", "get", lambda w, r, s: reverse("login"), expect(302, anon=200)),
    Case("login", "write", "post", lambda w, r, s: reverse("login"), expect(302, anon=200),
         data={"username": "mx_center", "password": "wrong-password"}),
    Case("logout", "read", "get", lambda w, r, s: reverse("logout"), GET_ONLY_405),
    Case("logout", "write", "post", lambda w, r, s: reverse("logout"), expect(302)),
    Case("password_change", "read", "get", lambda w, r, s: reverse("password_change"), ALL_READ),
    Case("password_change", "write", "post", lambda w, r, s: reverse("password_change"), ALL_READ,
         data={"old_password": "wrong", "new_password1": "x", "new_password2": "x"}),
    Case("password_changed", "read", "get", lambda w, r, s: reverse("password_changed"), ALL_READ),
    # --- dashboard, ledger, search, export ---------------------------------------------------------
    Case("dashboard", "read", "get", lambda w, r, s: reverse("dashboard"), ALL_READ),
    Case("project_list", "read", "get", _search("project_list"), ALL_READ, scoped=True, label="project_list-search"),
    Case("project_list", "read", "get", lambda w, r, s: reverse("project_list"), ALL_READ),
    Case("project_export", "read", "get", _search("project_export"), ALL_READ, scoped=True),
    Case("project_export", "read", "get", lambda w, r, s: reverse("project_export"), ALL_READ,
         label="project_export-all"),
    Case("project_new", "read", "get", lambda w, r, s: reverse("project_new"), CENTER_ONLY_PAGE),
    Case("project_new", "write", "post", lambda w, r, s: reverse("project_new"), expect(404, center=400, admin=400),
         data={"name": ""}),
    Case("ledger_import", "read", "get", lambda w, r, s: reverse("ledger_import"), CENTER_ONLY_PAGE),
    Case("ledger_import", "write", "post", lambda w, r, s: reverse("ledger_import"),
         expect(404, center=400, admin=400), data={"dry_run": "on"}),
    # --- one project -----------------------------------------------------------------------------
    Case("project_detail", "read", "get", _project_path("project_detail"), expect(200, out={"unit": 404}),
         scoped=True),
    Case("project_edit", "read", "get", _project_path("project_edit"), CENTER_ONLY_PAGE, scoped=True),
    Case("project_edit", "write", "post", _project_path("project_edit"), expect(404, center=400, admin=400),
         data={"name": ""}, scoped=True),
    Case("project_transition", "read", "get", _project_path("project_transition", "suspend"), GET_ONLY_405,
         scoped=True),
    Case("project_transition", "write", "post", _project_path("project_transition", "suspend"),
         expect(404, center=400, admin=400), scoped=True),
    Case("project_revert", "read", "get", _project_path("project_revert"), GET_ONLY_405, scoped=True),
    Case("project_revert", "write", "post", _project_path("project_revert"), expect(404, center=400, admin=400),
         scoped=True),
    Case("project_note_add", "read", "get", _project_path("project_note_add"), GET_ONLY_405, scoped=True),
    Case("project_note_add", "write", "post", _project_path("project_note_add"),
         expect(302, leader=404, out={"unit": 404}), data={"text": "矩阵测试进展"}, scoped=True),
    Case("problem_new", "read", "get", _project_path("problem_new"), GET_ONLY_405, scoped=True),
    Case("problem_new", "write", "post", _project_path("problem_new"),
         expect(302, leader=404, out={"unit": 404}),
         data={"problem-category": "land", "problem-description": "矩阵测试问题"}, scoped=True),
    # 达产复核 is for a project in production (ours are signed): refused to everyone, outside a unit's
    # scope as absent.
    Case("project_capacity_review", "read", "get", _project_path("project_capacity_review"), GET_ONLY_405,
         scoped=True),
    Case("project_capacity_review", "write", "post", _project_path("project_capacity_review"), expect(404),
         data={"reviewed_on": "2026-06-30"}, scoped=True),
    Case("compliance", "read", "get", lambda w, r, s: reverse("compliance"), ALL_READ),
    # --- my pages, problems, inbox -----------------------------------------------------------------
    Case("my_contacts", "read", "get", lambda w, r, s: reverse("my_contacts"), expect(404, leader=200)),
    Case("my_nodes", "read", "get", lambda w, r, s: reverse("my_nodes"), expect(404, unit=200)),
    Case("problem_list", "read", "get", lambda w, r, s: reverse("problem_list"), ALL_READ),
    Case("problem_action", "read", "get", _problem_path("reply"), GET_ONLY_405, scoped=True),
    Case("problem_action", "write", "post", _problem_path("reply"),
         expect(403, unit=302, admin=302, out={"unit": 404}), data={"reply": "已协调落实"}, scoped=True,
         label="problem_action-reply"),
    Case("problem_action", "write", "post", _problem_path("instruct"),
         expect(403, leader=302, out={"unit": 404}), data={"text": "请抓紧协调"}, scoped=True,
         label="problem_action-instruct"),
    Case("inbox", "read", "get", lambda w, r, s: reverse("inbox"), ALL_READ),
    Case("inbox_read_all", "read", "get", lambda w, r, s: reverse("inbox_read_all"), GET_ONLY_405),
    Case("inbox_read_all", "write", "post", lambda w, r, s: reverse("inbox_read_all"), POST_TO_PAGE),
    Case("inbox_read", "read", "get", _message_path, GET_ONLY_405, scoped=True),
    Case("inbox_read", "write", "post", _message_path, expect(302, out={k: 404 for k in KIND.values()}),
         scoped=True),
    # --- reports -----------------------------------------------------------------------------------
    Case("reports", "read", "get", lambda w, r, s: reverse("reports"), expect(200, unit=404)),
    Case("report_download", "read", "get", _leader_report("xlsx"), expect(200, unit=404, out={"leader": 404}),
         scoped=True, label="report_download-leader.xlsx"),
    Case("report_download", "read", "get", _leader_report("pdf"), expect(200, unit=404, out={"leader": 404}),
         scoped=True, label="report_download-leader.pdf"),
    Case("report_download", "read", "get", lambda w, r, s: reverse("report_download", args=["1330", "xlsx"]),
         expect(200, unit=404), label="report_download-1330.xlsx"),
    Case("report_download", "read", "get", lambda w, r, s: reverse("report_download", args=["bulletin", "xlsx"]),
         expect(200, unit=404), label="report_download-bulletin.xlsx"),
    # --- 要素保障 (factor needs) ---------------------------------------------------------------------
    Case("factor_list", "read", "get", lambda w, r, s: reverse("factor_list"), ALL_READ),
    Case("factor_need_set", "read", "get", lambda w, r, s: reverse("factor_need_set"), GET_ONLY_405),
    Case("factor_need_set", "write", "post", lambda w, r, s: reverse("factor_need_set"), expect(404, center=302,
         admin=302), data={"code": "MXA-0001", "factor_type": "land", "needed": "-1"}),
    Case("factor_secure", "read", "get", _need_path("factor_secure"), GET_ONLY_405, scoped=True),
    Case("factor_secure", "write", "post", _need_path("factor_secure"), expect(302, leader=404, out={"unit": 404}),
         data={"amount": "0"}, scoped=True),
    Case("factor_needed_by", "read", "get", _need_path("factor_needed_by"), GET_ONLY_405, scoped=True),
    Case("factor_needed_by", "write", "post", _need_path("factor_needed_by"), expect(404, center=302, admin=302),
         data={"needed_by": "not-a-date"}, scoped=True),
    # --- API ---------------------------------------------------------------------------------------
    Case("api_schema", "read", "get", lambda w, r, s: reverse("api_schema"), expect(200, anon=401), **API),
    Case("api_token", "read", "get", lambda w, r, s: reverse("api_token"), expect(405, anon=405), **API),
    Case("api_token", "write", "post", lambda w, r, s: reverse("api_token"), expect(400, anon=400),
         data={"username": "mx_center", "password": "wrong-password"}, **API),
    Case("api_token_revoke", "write", "post", lambda w, r, s: reverse("api_token_revoke"), expect(204, anon=401),
         **API),
    Case("api_overdue", "read", "get", lambda w, r, s: reverse("api_overdue"), expect(200, anon=401), **API),
    Case("api_report_1330", "read", "get", lambda w, r, s: reverse("api_report_1330"),
         expect(200, unit=404, anon=401), **API),
    Case("api_report_compliance", "read", "get", lambda w, r, s: reverse("api_report_compliance"),
         expect(200, unit=404, anon=401), **API),
    Case("api-project-capacity-review", "read", "get", _project_path("api-project-capacity-review"),
         expect(405, anon=401), scoped=True, **API),
    Case("api-project-capacity-review", "write", "post", _project_path("api-project-capacity-review"),
         expect(403, anon=401, out={"unit": 404}), data={"reviewed_on": "2026-06-30"}, scoped=True, **API),
    Case("api_report_factors", "read", "get", lambda w, r, s: reverse("api_report_factors"),
         expect(200, unit=404, anon=401), **API),
    Case("api-factor-list", "read", "get", lambda w, r, s: reverse("api-factor-list"), expect(200, anon=401), **API),
    Case("api-factor-list", "write", "post", lambda w, r, s: reverse("api-factor-list"),
         expect(403, center=400, admin=400, anon=401), **API),
    Case("api-factor-detail", "read", "get", _need_path("api-factor-detail"),
         expect(200, anon=401, out={"unit": 404}), scoped=True, **API),
    Case("api-factor-detail", "write", "patch", _need_path("api-factor-detail"), expect(405, anon=401),
         data={"needed": "60"}, scoped=True, **API),
    Case("api-factor-secured", "read", "get", _need_path("api-factor-secured"), expect(405, anon=401),
         scoped=True, **API),
    Case("api-factor-secured", "write", "post", _need_path("api-factor-secured"),
         expect(400, leader=403, anon=401, out={"unit": 404}), scoped=True, **API),
    Case("api-factor-needed-by", "read", "get", _need_path("api-factor-needed-by"), expect(405, anon=401),
         scoped=True, **API),
    Case("api-factor-needed-by", "write", "post", _need_path("api-factor-needed-by"),
         expect(403, center=400, admin=400, anon=401, out={"unit": 404}), scoped=True, **API),
    Case("api-project-list", "read", "get", _search("api-project-list"), expect(200, anon=401), scoped=True,
         **API),
    Case("api-project-list", "write", "post", lambda w, r, s: reverse("api-project-list"),
         expect(403, center=400, admin=400, anon=401), **API),
    Case("api-project-detail", "read", "get", _project_path("api-project-detail"),
         expect(200, anon=401, out={"unit": 404}), scoped=True, **API),
    Case("api-project-detail", "write", "patch", _project_path("api-project-detail"),
         expect(403, center=200, admin=200, anon=401, out={"unit": 404}), data={"remark": "矩阵测试"},
         scoped=True, **API),
    Case("api-project-transition", "read", "get", _project_path("api-project-transition", "suspend"),
         expect(405, anon=401, out={"unit": 405}), scoped=True, **API),
    Case("api-project-transition", "write", "post", _project_path("api-project-transition", "suspend"),
         expect(403, center=400, admin=400, anon=401, out={"unit": 404}), scoped=True, **API),
]


def _cells():
    for case in CASES:
        for role in ROLES:
            for scope in (("in", "out") if case.scoped else ("-",)):
                yield pytest.param(case, role, scope, id=f"{case.id()}-{role}-{scope}")


CELLS = list(_cells())


def client_for(world, role, api):
    user = world.users.get(role)
    if api:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def readable(response) -> str:
    """Every text a body shows: an Excel file's sheets and shared strings, else the body itself."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist()
                           if name.endswith(".xml"))
    return content.decode("utf-8", "replace")


def leaks(role, response) -> list[str]:
    body = readable(response)
    return [text for text in HIDDEN.get(role, ()) if text in body]


@pytest.mark.parametrize(("case", "role", "scope"), CELLS)
def test_access_matrix(world, case, role, scope):
    client = client_for(world, role, case.api)
    path = case.path(world, role, scope)
    data = case.data(world) if callable(case.data) else case.data
    send = getattr(client, case.method)
    response = send(path, data, format="json") if case.api and case.method != "get" else send(path, data)
    assert response.status_code == case.expected(role, scope), (path, readable(response)[:300])
    assert leaks(role, response) == [], path


# --- the admin: administrators only, model by model ------------------------------------------------

ADMIN_PAGES = ["admin:index"] + [f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"
                                 for m in admin.site._registry]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_are_for_administrators_only(world, page, role):
    response = client_for(world, role, api=False).get(reverse(page))
    assert response.status_code == (200 if role == "admin" else 302)
    if role != "admin":
        assert response["Location"].startswith(reverse("admin:login"))


# --- nothing left out --------------------------------------------------------------------------------


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif namespace != "admin":
            yield pattern.name


def test_every_url_is_in_the_matrix():
    names = list(_url_names(get_resolver().url_patterns))
    assert None not in names, "every URL needs a name to be in the matrix"
    assert set(names) - {case.name for case in CASES} == set()


def test_every_endpoint_is_read_or_written_by_every_role():
    by_name = {}
    for case in CASES:
        by_name.setdefault(case.name, set()).add(case.mode)
    assert all(by_name.values())
    assert len(CELLS) >= len(CASES) * len(ROLES)
