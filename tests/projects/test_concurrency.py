"""Issue 2 and issue 8 section 4: two people at once lose nothing. Two transitions cannot both win;
a revert names the transition it undoes; an edit made from a stale form is refused with what
changed (409); parallel imports are serialised."""

import datetime
import threading

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection

from projects.models import Project, Status, TransitionLog
from projects.services import TransitionRefused, project_revert_last, project_transition
from tests.conftest import uses_postgres
from tests.factories import ProjectFactory

D = datetime.date


def _refused_message(func, **kwargs):
    with pytest.raises(TransitionRefused) as caught:
        func(**kwargs)
    return "；".join(caught.value.messages)


# --- a revert names the transition it undoes ---------------------------------------------------


@pytest.mark.django_db
def test_a_second_revert_of_the_same_transition_is_refused():
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1))
    project_transition(project=project, name="start", effective_date=D(2026, 3, 1))
    start = project.history.get(transition="start")
    project_revert_last(project=project, reason="录错", undoes=start.pk)
    # The double-click: the same request again must not go on to undo 供地 as well.
    message = _refused_message(project_revert_last, project=project, reason="录错", undoes=start.pk)
    assert message == "「开工」已被撤销，不能重复撤销"
    project.refresh_from_db()
    assert project.status == Status.LAND_ACQUIRED


@pytest.mark.django_db
def test_a_revert_naming_an_older_transition_is_refused_with_the_current_state():
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1))
    land = project.history.get(transition="acquire_land")
    project_transition(project=project, name="start", effective_date=D(2026, 3, 1))
    message = _refused_message(project_revert_last, project=project, reason="录错", undoes=land.pk)
    assert "「供地」已不是最近一次状态变更" in message and "已开工" in message
    assert project.history.filter(transition=TransitionLog.REVERT).count() == 0


@pytest.mark.django_db
def test_the_page_names_the_transition_and_a_double_click_reverts_once(client):
    from django.urls import reverse

    from tests.factories import UserFactory
    from projects.models import Role

    client.force_login(UserFactory(username="center-revert", role=Role.CENTER))
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1))
    page = client.get(reverse("project_detail", args=[project.code])).content.decode()
    land = project.history.get(transition="acquire_land")
    assert f'name="undoes" value="{land.pk}"' in page and "将撤销：<b>供地</b>" in page
    url = reverse("project_revert", args=[project.code])
    first = client.post(url, {"reason": "录错", "undoes": land.pk})
    second = client.post(url, {"reason": "录错", "undoes": land.pk})
    assert (first.status_code, second.status_code) == (302, 400)
    assert "「供地」已被撤销，不能重复撤销" in second.content.decode()
    project.refresh_from_db()
    assert project.status == Status.SIGNED
    assert project.history.filter(transition=TransitionLog.REVERT).count() == 1


def _in_threads(count, target):
    """Run `target()` in `count` threads started together; each returns its outcome."""
    from django.db import connections

    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(target())
        except Exception as exc:  # the outcome under test, kept for the assertion
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_transitions_on_one_project_do_not_both_win():
    """Issue 2: runs on PostgreSQL, where the row lock is real (SQLite serialises writers anyway)."""
    project = ProjectFactory(signing_date=datetime.date(2026, 1, 15))

    def attempt(name, **kwargs):
        stale = Project.objects.get(pk=project.pk)  # both read "signed" before either writes
        project_transition(project=stale, name=name, effective_date=datetime.date(2026, 2, 1),
                           expected_status=stale.status, **kwargs)
        return "won"

    names = iter([("acquire_land", {}), ("terminate", {"reason": "投资方撤资"})])
    lock = threading.Lock()

    def next_attempt():
        with lock:
            name, kwargs = next(names)
        return attempt(name, **kwargs)

    outcomes = _in_threads(2, next_attempt)
    assert sorted(o if o == "won" else type(o).__name__ for o in outcomes) == ["TransitionConflict", "won"]
    project.refresh_from_db()
    assert project.status in (Status.LAND_ACQUIRED, Status.TERMINATED)
    assert project.history.exclude(transition="create").count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_parallel_reverts_of_one_transition_undo_it_exactly_once():
    if not uses_postgres():
        pytest.skip("row locks between threads need PostgreSQL")
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1))
    project_transition(project=project, name="start", effective_date=D(2026, 3, 1))
    start = project.history.get(transition="start").pk

    outcomes = _in_threads(10, lambda: project_revert_last(project=project, reason="双击", undoes=start))

    reverted = [o for o in outcomes if isinstance(o, TransitionLog)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(reverted), len(refused)) == (1, 9), outcomes
    assert all("不能重复撤销" in "".join(o.messages) for o in refused)
    project.refresh_from_db()
    assert project.status == Status.LAND_ACQUIRED
    assert project.history.filter(transition=TransitionLog.REVERT).count() == 1
    assert connection.vendor == "postgresql"


# --- lost updates: a stale edit is refused with what changed ------------------------------------


@pytest.fixture
def center(db):
    from projects.models import Role
    from tests.factories import UserFactory

    return UserFactory(username="center-edit", role=Role.CENTER)


def _edit_form(client, project):
    """The edit page's form as the browser would post it (field values and hidden inputs)."""
    from django.urls import reverse

    return _as_posted(client.get(reverse("project_edit", args=[project.code])).context["form"])


def _as_posted(form):
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.show_hidden_initial:
            data[form[name].html_initial_name] = "" if value is None else str(value)
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    return data


def test_a_save_from_a_stale_form_answers_409_with_what_changed(client, center):
    from django.urls import reverse

    client.force_login(center)
    project = ProjectFactory(name="旧名称", remark="")
    url = reverse("project_edit", args=[project.code])
    form_a, form_b = _edit_form(client, project), _edit_form(client, project)
    assert client.post(url, {**form_a, "name": "甲改的名称"}).status_code == 302

    response = client.post(url, {**form_b, "remark": "乙的备注"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "已被他人修改" in page and "项目名称：「旧名称」→「甲改的名称」" in page
    project.refresh_from_db()
    assert (project.name, project.remark) == ("甲改的名称", "")
    # The form shown again keeps B's remark and takes A's name: saving it loses neither change.
    again = response.context["form"]
    assert (again["name"].value(), again["remark"].value()) == ("甲改的名称", "乙的备注")
    resubmitted = _edit_form_from(again)
    assert client.post(url, resubmitted).status_code == 302
    project.refresh_from_db()
    assert (project.name, project.remark) == ("甲改的名称", "乙的备注")


def _edit_form_from(form):
    return {key: value for key, value in form.data.items()}


def test_a_form_without_its_version_is_refused(client, center):
    from django.urls import reverse

    client.force_login(center)
    project = ProjectFactory(name="旧名称")
    data = _edit_form(client, project)
    del data["version"]
    response = client.post(reverse("project_edit", args=[project.code]), {**data, "name": "新名称"})
    assert response.status_code == 400 and "页面已过期" in response.content.decode()


def test_a_transition_after_the_form_was_loaded_is_a_conflict_too(client, center):
    from django.urls import reverse

    client.force_login(center)
    project = ProjectFactory(land_area=None)
    stale = _edit_form(client, project)
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1), fields={"land_area": 80})
    response = client.post(reverse("project_edit", args=[project.code]), {**stale, "remark": "x"})
    assert response.status_code == 409
    assert "用地面积（亩）：「空」→「80」" in response.content.decode()
    project.refresh_from_db()
    assert project.land_area == 80


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_api_patch_with_an_old_version_answers_409_with_the_current_project(center):
    project = ProjectFactory(name="旧名称")
    client = _api(center)
    url = f"/api/projects/{project.code}/"
    loaded = client.get(url)
    version = loaded.json()["version"]
    assert loaded["ETag"] == f'"{version}"'
    assert client.patch(url, {"name": "甲改的名称", "version": version}, format="json").status_code == 200

    response = client.patch(url, {"remark": "乙的备注", "version": version}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"].startswith("已被他人修改")
    assert body["current"]["name"] == "甲改的名称" and body["version"] != version
    project.refresh_from_db()
    assert project.remark == ""
    # Sending the version it now has is a deliberate save.
    assert client.patch(url, {"remark": "乙的备注", "version": body["version"]}, format="json").status_code == 200


def test_an_api_patch_honours_if_match(center):
    project = ProjectFactory()
    client = _api(center)
    url = f"/api/projects/{project.code}/"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"name": "一"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert client.patch(url, {"name": "二"}, format="json", HTTP_IF_MATCH=etag).status_code == 409
    assert client.patch(url, {"name": "二"}, format="json", HTTP_IF_MATCH="abc").status_code == 400


def test_the_version_is_in_the_openapi_schema(center):
    schema = _api(center).get("/api/schema/?format=json").json()
    props = schema["components"]["schemas"]["Project"]["properties"]
    assert props["version"]["type"] == "integer" and "409" in props["version"]["description"]
    patch = schema["paths"]["/api/projects/{code}/"]["patch"]
    assert "409" in patch["responses"] and any(p["name"] == "If-Match" for p in patch["parameters"])


def test_the_admin_refuses_a_save_from_a_stale_change_page(admin_client):
    from django.urls import reverse

    project = ProjectFactory(name="旧名称")
    url = reverse("admin:projects_project_change", args=[project.pk])
    stale = _as_posted(admin_client.get(url).context["adminform"].form)
    for prefix in ("nodes", "problems", "history"):
        stale.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    from projects.services import project_update

    project_update(project=project, name="甲改的名称")
    response = admin_client.post(url, {**stale, "remark": "乙"})
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode() and "「旧名称」→「甲改的名称」" in response.content.decode()
    project.refresh_from_db()
    assert (project.name, project.remark) == ("甲改的名称", "")


# --- API transitions that lose a race say where the project is now --------------------------------


def test_a_refused_api_transition_says_the_current_state(center):
    project = ProjectFactory()
    project_transition(project=project, name="acquire_land", effective_date=D(2026, 2, 1))
    project_transition(project=project, name="start", effective_date=D(2026, 3, 1))
    # A client that still thinks the project is signed asks for 供地, without expected_status.
    response = _api(center).post(f"/api/projects/{project.code}/transitions/acquire_land/",
                                 {"effective_date": "2026-02-01"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and (body["status"], body["status_label"]) == ("started", "已开工")


# --- parallel imports are serialised: the second waits or is told so, never a 500 -----------------


def _ledger_file(path, count=12):
    from tests.projects.test_ledger import base_row, write_ledger

    rows = [base_row(**{"项目编号": f"SZ-PAR-{n:03d}", "项目名称": f"并发导入项目{n}"}) for n in range(count)]
    return write_ledger(path, rows)


def _upload(client, path):
    """Upload (the check, a dry run) and, when it passes, 确认导入 (the import itself)."""
    from django.urls import reverse

    with open(path, "rb") as handle:
        checked = client.post(reverse("ledger_import"), {"file": handle, "create_missing": "on"})
    if checked.status_code != 200:
        return checked
    return client.post(reverse("ledger_import"), {"digest": checked.context["digest"], "create_missing": "on"})


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_imports_of_one_file_are_serialised_on_postgresql(tmp_path):
    """4 web uploads and 3 command runs of the same file at once: each imports it (the first
    creates, the others find it unchanged) or is told another import is running."""
    from django.core.management import CommandError, call_command
    from django.test import Client

    from projects.models import Project, Role
    from tests.factories import UserFactory

    if not uses_postgres():
        pytest.skip("the advisory lock is PostgreSQL's")
    path = _ledger_file(tmp_path / "same.xlsx")
    users = iter([UserFactory(username=f"center-import-{n}", role=Role.CENTER) for n in range(4)])
    jobs = iter(["web"] * 4 + ["command"] * 3)
    lock = threading.Lock()

    def run():
        with lock:
            kind = next(jobs)
            user = next(users) if kind == "web" else None
        if kind == "web":
            client = Client()
            client.force_login(user)
            response = _upload(client, path)
            return ("web", response.status_code, response.content.decode())
        try:
            call_command("import_ledger", str(path), "--create-missing")
            return ("command", 0, "")
        except CommandError as exc:
            return ("command", 1, str(exc))

    outcomes = _in_threads(7, run)

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert {status for kind, status, _ in outcomes if kind == "web"} <= {200, 409}
    for kind, status, text in outcomes:
        if status not in (0, 200):
            assert "另一份台账正在导入" in text
    assert Project.objects.filter(code__startswith="SZ-PAR-").count() == 12
    assert sum(1 for kind, status, _ in outcomes if status in (0, 200)) >= 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_that_waited_too_long_gets_a_clear_message(tmp_path, monkeypatch):
    """A second import waits IMPORT_WAIT_SECONDS for the first, then the page answers 409 and the
    command exits 1, each with the Chinese message, and nothing is written."""
    import psycopg
    from django.core.management import CommandError, call_command
    from django.db import connection as django_connection
    from django.test import Client

    from projects import ledger
    from projects.models import Project, Role
    from tests.factories import UserFactory

    if not uses_postgres():
        pytest.skip("the advisory lock is PostgreSQL's")
    monkeypatch.setattr(ledger, "IMPORT_WAIT_SECONDS", 1)
    path = _ledger_file(tmp_path / "busy.xlsx", count=2)
    client = Client()
    client.force_login(UserFactory(username="center-busy", role=Role.CENTER))
    params = django_connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [ledger._IMPORT_LOCK])  # an import in progress
        response = _upload(client, path)
        with pytest.raises(CommandError) as command:
            call_command("import_ledger", str(path), "--create-missing")
        holder.execute("ROLLBACK")
    assert response.status_code == 409
    assert "另一份台账正在导入（已等待 1 秒），请等其完成后再试" in response.content.decode()
    assert "导入未进行：另一份台账正在导入" in str(command.value)
    assert not Project.objects.filter(code__startswith="SZ-PAR-").exists()
    # Once the first is done, the same file imports.
    assert _upload(client, path).status_code == 200
    assert Project.objects.filter(code__startswith="SZ-PAR-").count() == 2
