"""Issue 8 §2: every change to projects, nodes, problems, replies, 批示 and notes is on the record —
who, when, through which channel (page, API, import, admin, command, task), each field's old and new value."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from audit.context import Channel, audit_channel
from audit.models import AuditEntry
from milestones.models import Node
from projects.ledger import HEADERS, import_ledger
from projects.models import Instruction, Problem, ProblemReply, ProgressNote, Project
from projects.services import (
    problem_assign,
    problem_instruct,
    problem_reply,
    progress_note_add,
    project_revert_last,
    project_transition,
    project_update,
    project_version,
)

pytestmark = pytest.mark.django_db


def entries_for(instance):
    return AuditEntry.objects.filter(content_type__model=instance._meta.model_name,
                                     object_pk=str(instance.pk)).order_by("id")


def last_change(instance):
    return entries_for(instance).last()


def test_a_page_edit_records_the_user_the_page_channel_and_old_and_new(client, center_user, project_a, unit_a):
    client.force_login(center_user)
    data = {"name": "甲项目（二期）", "investor": "测试投资有限公司", "total_investment": "20000", "currency": "CNY",
            "is_manufacturing": "true", "cluster": "高端装备", "source": "外引", "channel": "产业链招商",
            "needs_new_land": "on", "land_area": "50", "responsible_unit": unit_a.pk, "planned_land": "2026-05-16",
            "version": project_version(project_a)}
    response = client.post(reverse("project_edit", args=["SZ-A"]), data)
    assert response.status_code == 302, response.content.decode()[:1000]
    entry = last_change(project_a)
    assert (entry.action, entry.channel, entry.actor) == (AuditEntry.Action.UPDATE, Channel.PAGE, center_user)
    assert entry.changes["name"] == ["甲项目", "甲项目（二期）"]
    assert entry.project_id == project_a.pk and entry.remote_addr == "127.0.0.1"


def test_an_api_edit_with_a_token_records_the_token_user_and_the_api_channel(center_user, project_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(center_user)}")
    response = client.patch("/api/projects/SZ-A/", {"remark": "已约谈"}, format="json")
    assert response.status_code == 200, response.json()
    entry = last_change(project_a)
    assert (entry.channel, entry.actor) == (Channel.API, center_user)
    assert entry.changes == {"remark": ["", "已约谈"]}


def test_an_admin_rename_of_the_code_leaves_a_trace(client, admin_user, project_a):
    client.force_login(admin_user)
    url = reverse("admin:projects_project_change", args=[project_a.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name in form.fields and not isinstance(value, list)}
    data.update({name: "" for name in form.fields if name not in data})
    data.update({"code": "SZ-A2", "is_manufacturing": "true", "needs_new_land": "on",
                 "version": project_version(project_a),
                 "responsible_unit": project_a.responsible_unit_id, "contact_leader": project_a.contact_leader_id})
    for prefix in ("nodes", "problems", "history"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = last_change(project_a)
    assert (entry.channel, entry.actor) == (Channel.ADMIN, admin_user)
    assert entry.changes["code"] == ["SZ-A", "SZ-A2"]


def test_a_ledger_import_records_creates_and_changes_as_the_import_channel(center_user, project_a, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["项目编号", "项目名称", "投资方", "总投资", "责任单位"])
    sheet.append(["SZ-NEW", "新项目", "某公司", 5000, "甲单位"])
    sheet.append(["SZ-A", "甲项目（台账改名）", "测试投资有限公司", 20000, "甲单位"])
    path = tmp_path / "ledger.xlsx"
    workbook.save(path)
    with audit_channel(Channel.PAGE, user=center_user):
        result = import_ledger(path_or_file=path, user=center_user)
    assert result.ok, result.errors
    created = Project.objects.get(code="SZ-NEW")
    entry = entries_for(created).get()
    assert (entry.action, entry.channel, entry.actor) == (AuditEntry.Action.CREATE, Channel.IMPORT, center_user)
    assert entry.changes["code"] == [None, "SZ-NEW"]
    assert AuditEntry.objects.filter(project=created, content_type__model="node", channel=Channel.IMPORT).exists()
    renamed = last_change(project_a)
    assert renamed.channel == Channel.IMPORT and renamed.changes["name"] == ["甲项目", "甲项目（台账改名）"]


def test_a_command_records_the_command_channel(tmp_path, unit_a):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADERS[:4])
    workbook.active.append(["SZ-CMD", "命令行项目", "某公司", 100])
    path = tmp_path / "ledger.xlsx"
    workbook.save(path)
    call_command("import_ledger", str(path), stdout=io.StringIO())
    project = Project.objects.get(code="SZ-CMD")
    # The import is its own channel even from the command line; an edit from a shell is a command.
    assert entries_for(project).get().channel == Channel.IMPORT
    project_update(project=project, remark="命令行补充")
    entry = last_change(project)
    assert (entry.channel, entry.actor) == (Channel.COMMAND, None)


def test_a_celery_task_records_the_task_channel(project_a):
    from config.celery import app

    @app.task(name="tests.audit.rename")
    def rename(pk):
        project_update(project=Project.objects.get(pk=pk), remark="任务写入")

    app.conf.task_always_eager = True
    try:
        with audit_channel(Channel.PAGE):
            rename.delay(project_a.pk)
    finally:
        app.conf.task_always_eager = False
    assert last_change(project_a).channel == Channel.TASK


def test_a_transition_and_its_revert_record_the_state_and_node_changes(center_user, project_a):
    with audit_channel(Channel.PAGE, user=center_user):
        project_transition(project=project_a, name="acquire_land", user=center_user,
                           effective_date=datetime.date(2026, 6, 20))
        project_revert_last(project=project_a, user=center_user, reason="录错")
    status_changes = [e.changes["status"] for e in entries_for(project_a).filter(action=AuditEntry.Action.UPDATE)
                      if "status" in e.changes]
    assert status_changes == [["signed", "land_acquired"], ["land_acquired", "signed"]]
    land = Node.objects.get(project=project_a, node_type="land")
    assert [e.changes.get("actual_date") for e in entries_for(land) if e.action == AuditEntry.Action.UPDATE][-2:] \
        == [[None, "2026-06-20"], ["2026-06-20", None]]


def test_problems_replies_instructions_and_notes_are_recorded(center_user, unit_user, leader, problem_a, unit_a):
    new_date = datetime.date(2026, 7, 20)
    with audit_channel(Channel.PAGE, user=center_user):
        problem_assign(problem=problem_a, unit=unit_a, reply_by=new_date)
        problem_instruct(problem=problem_a, leader=leader, text="加快办理", user=center_user)
        note = progress_note_add(project=problem_a.project, text="进展顺利", user=center_user)
    with audit_channel(Channel.PAGE, user=unit_user):
        problem_reply(problem=problem_a, reply="已协调", user=unit_user)
    assert last_change(problem_a).changes == {"status": ["open", "replied"], "replied_on": [None, "2026-06-30"]}
    assert entries_for(problem_a).filter(actor=center_user).last().changes == {
        "reply_by": ["2026-06-08", "2026-07-20"]}
    reply = ProblemReply.objects.get(problem=problem_a)
    assert last_change(reply).actor == unit_user and last_change(reply).project_id == problem_a.project_id
    assert last_change(Instruction.objects.get()).changes["text"] == [None, "加快办理"]
    note.text = "进展顺利（更正）"
    note.save()
    note_id = note.pk
    note.delete()
    actions = [e.action for e in AuditEntry.objects.filter(content_type__model="progressnote", object_pk=str(note_id))
               .order_by("id")]
    assert actions == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE]
    assert not ProgressNote.objects.exists() and Problem.objects.filter(pk=problem_a.pk).exists()
