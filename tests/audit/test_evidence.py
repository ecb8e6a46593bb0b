"""Issue 8 §2: evidence — 批示, problem replies, transition history, sent notifications and the audit
trail itself — is append-only for everyone, administrators included; a correction is a new record."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from audit.evidence import AppendOnlyError
from audit.models import AuditEntry
from notifications.models import Channel, DeliveryStatus, Kind, Notification
from projects.models import Instruction, ProblemReply, ProblemStatus, TransitionLog
from projects.services import problem_instruct, problem_reply, project_revert_last, project_transition

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")


@pytest.fixture
def instruction(problem_a, leader):
    return problem_instruct(problem=problem_a, leader=leader, text="请加快办理")


def notification(user, project, status):
    return Notification.objects.create(kind=Kind.REMINDER, channel=Channel.INBOX, reason=f"r:{status}",
                                       recipient_key="u", recipient=user, subject="提醒", body="内容", project=project,
                                       status=status)


@pytest.fixture
def sent(center_user, project_a):
    return notification(center_user, project_a, DeliveryStatus.SENT)


def test_a_second_reply_is_a_new_record_and_the_first_is_kept(problem_a, unit_user, unit_a):
    problem_reply(problem=problem_a, reply="已对接", user=unit_user, replied_on=datetime.date(2026, 6, 5))
    problem_reply(problem=problem_a, reply="补充：土地已报批", user=unit_user)
    replies = list(problem_a.replies.all())
    assert [r.text for r in replies] == ["已对接", "补充：土地已报批"]
    assert [r.unit for r in replies] == [unit_a, unit_a]
    problem_a.refresh_from_db()
    # The reply-by rule looks at the first reply: answered on 6-05, in time.
    assert (problem_a.status, problem_a.replied_on) == (ProblemStatus.REPLIED, datetime.date(2026, 6, 5))


def test_an_instruction_cannot_be_edited_or_deleted_by_the_model_or_a_queryset(instruction):
    instruction.text = "改过的批示"
    with pytest.raises(AppendOnlyError):
        instruction.save()
    with pytest.raises(AppendOnlyError):
        instruction.delete()
    with pytest.raises(AppendOnlyError):
        Instruction.objects.filter(pk=instruction.pk).update(text="改")
    with pytest.raises(AppendOnlyError):
        Instruction.objects.all().delete()
    assert Instruction.objects.get().text == "请加快办理"


def test_a_reply_cannot_be_edited(problem_a):
    problem_reply(problem=problem_a, reply="已对接")
    reply = ProblemReply.objects.get()
    reply.text = "改过"
    with pytest.raises(AppendOnlyError):
        reply.save()


def test_a_problem_with_instructions_or_replies_cannot_be_deleted(instruction, problem_a):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        problem_a.delete()


def test_transition_history_is_only_marked_reverted_once(center_user, project_a):
    log = project_transition(project=project_a, name="acquire_land", effective_date=datetime.date(2026, 6, 20))
    log.note = "改过"
    with pytest.raises(AppendOnlyError):
        log.save()
    revert = project_revert_last(project=project_a, user=center_user, reason="录错")
    log.refresh_from_db()
    assert log.reverted_by == revert
    log.reverted_by = None
    with pytest.raises(AppendOnlyError):
        log.save(update_fields=["reverted_by"])
    with pytest.raises(AppendOnlyError):
        TransitionLog.objects.filter(pk=log.pk).delete()


def test_a_sent_notification_may_only_be_marked_read(sent):
    sent.read_at = datetime.datetime(2026, 6, 30, 3, tzinfo=datetime.UTC)
    sent.save(update_fields=["read_at"])
    sent.subject = "改过"
    with pytest.raises(AppendOnlyError):
        sent.save()
    with pytest.raises(AppendOnlyError):
        sent.delete()


def test_a_pending_notification_may_still_change_and_go(center_user, project_a):
    pending = notification(center_user, project_a, DeliveryStatus.PENDING)
    pending.attempts = 3
    pending.save()
    Notification.objects.filter(pk=pending.pk).update(status=DeliveryStatus.SENT)  # delivered
    sent = Notification.objects.get(pk=pending.pk)
    with pytest.raises(AppendOnlyError):
        sent.delete()
    other = notification(center_user, project_a, DeliveryStatus.FAILED)
    other.delete()
    assert list(Notification.objects.all()) == [sent]


def test_audit_records_cannot_be_edited_or_deleted(project_a):
    entry = AuditEntry.objects.filter(project=project_a).first()
    entry.changes = {}
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_shows_instructions_and_replies_read_only(client, admin_user, instruction, problem_a):
    problem_reply(problem=problem_a, reply="已对接")
    client.force_login(admin_user)
    response = client.get(reverse("admin:projects_problem_change", args=[problem_a.pk]))
    form = response.context["adminform"].form
    assert "status" not in form.fields and "reply" not in form.fields
    for formset in response.context["inline_admin_formsets"]:
        assert not formset.has_change_permission and not formset.has_delete_permission
        assert not formset.has_add_permission
    body = response.content.decode()
    assert "请加快办理" in body and "已对接" in body


def test_the_admin_cannot_change_or_delete_the_history(client, admin_user, project_a):
    log = project_transition(project=project_a, name="acquire_land", effective_date=datetime.date(2026, 6, 20))
    client.force_login(admin_user)
    assert client.post(reverse("admin:projects_transitionlog_change", args=[log.pk]), {"note": "改"}).status_code \
        in (302, 403)
    assert client.post(reverse("admin:projects_transitionlog_delete", args=[log.pk]), {"post": "yes"}).status_code \
        == 403
    assert TransitionLog.objects.get(pk=log.pk).note == ""


def test_the_admin_cannot_delete_a_sent_notification(client, admin_user, sent):
    client.force_login(admin_user)
    response = client.post(reverse("admin:notifications_notification_delete", args=[sent.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Notification.objects.filter(pk=sent.pk).exists()


def test_the_admin_cannot_change_or_delete_audit_records(client, admin_user, project_a):
    entry = AuditEntry.objects.filter(project=project_a).first()
    client.force_login(admin_user)
    assert client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


# --- below the ORM: the PostgreSQL trigger ---------------------------------------------------------


def _raw(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@on_postgres
def test_raw_sql_cannot_change_or_delete_evidence(instruction, sent, project_a):
    log = project_transition(project=project_a, name="acquire_land", effective_date=datetime.date(2026, 6, 20))
    for sql, params in [
        ("UPDATE projects_instruction SET text = 'x' WHERE id = %s", [instruction.pk]),
        ("DELETE FROM projects_instruction WHERE id = %s", [instruction.pk]),
        ("UPDATE projects_transitionlog SET note = 'x' WHERE id = %s", [log.pk]),
        ("UPDATE notifications_notification SET subject = 'x' WHERE id = %s", [sent.pk]),
        ("DELETE FROM notifications_notification WHERE id = %s", [sent.pk]),
        ("DELETE FROM audit_auditentry WHERE project_id = %s", [project_a.pk]),
    ]:
        with pytest.raises(IntegrityError):
            _raw(sql, params)
    _raw("UPDATE notifications_notification SET read_at = now() WHERE id = %s", [sent.pk])
    with pytest.raises(IntegrityError):
        _raw("UPDATE notifications_notification SET read_at = now() - interval '1 day' WHERE id = %s", [sent.pk])
