"""DOMAIN.md section 6: every notification is sent once per (recipient, channel, reason): a retry,
a second worker or a second run must not send it twice, and a broker outage must not lose it."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import services, tasks
from notifications.models import Channel, DeliveryStatus, Kind, Notification
from notifications.services import MAX_ATTEMPTS, Message, deliver, rows_for_unit, sweep_pending, write_outbox

pytestmark = pytest.mark.django_db


def outbox_row(channel=Channel.EMAIL, address="unit@example.com", **fields):
    message = Message(Kind.REMINDER, "reminder:test", "【节点到期提醒】测试", "正文")
    row = services._row(message, channel, "unit:test", address=address, **fields)
    row.save()
    return row


def test_an_email_is_sent_and_marked_sent_after_delivery():
    row = outbox_row()
    assert deliver(notification_id=row.pk).status == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
    assert row.sent_at is not None
    [message] = mail.outbox
    assert (message.subject, message.to) == ("【节点到期提醒】测试", ["unit@example.com"])


def test_a_delivered_row_is_not_sent_again_by_a_second_task():
    row = outbox_row()
    deliver(notification_id=row.pk)
    assert deliver(notification_id=row.pk).status == "skipped"
    assert len(mail.outbox) == 1


def test_a_row_claimed_by_another_worker_is_left_to_it():
    row = outbox_row()
    Notification.objects.filter(pk=row.pk).update(claimed_until=timezone.now() + datetime.timedelta(minutes=1))
    assert deliver(notification_id=row.pk).status == "skipped"
    assert mail.outbox == []


def test_a_crashed_workers_claim_expires():
    row = outbox_row()
    Notification.objects.filter(pk=row.pk).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert deliver(notification_id=row.pk).status == "sent"


def test_a_failed_send_stays_pending_with_the_error_and_an_exponential_backoff(robot):
    robot.answers = [(500, {"errcode": 500})]
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url)
    before = timezone.now()
    outcome = deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == ("retry", 60)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "500" in row.last_error
    assert row.next_attempt_at >= before + datetime.timedelta(seconds=60)
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 7, 8)] == [60, 120, 240, 3600, 3600]


def test_a_task_retried_after_a_failed_send_delivers_once(robot, monkeypatch):
    # Eager mode runs the retry at once, ignoring its countdown; treat it as due.
    monkeypatch.setattr(services, "RETRY_TOLERANCE", datetime.timedelta(hours=2))
    robot.answers = [(200, {"errcode": 310000, "errmsg": "keywords not in content"})]
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url)
    result = tasks.deliver_notification.apply(args=[row.pk])  # eager: the retry runs at once
    assert result.get() == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(robot.received) == 2
    assert robot.received[-1]["msgtype"] == "markdown"
    # The sweep or a late duplicate of the task finds nothing left to send.
    assert tasks.deliver_notification.apply(args=[row.pk]).get() == "skipped"
    assert len(robot.received) == 2


def test_after_the_last_attempt_the_row_is_marked_failed(robot):
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url)
    Notification.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1, next_attempt_at=None)
    robot.answers = [(503, {})]
    assert deliver(notification_id=row.pk).status == "failed"
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED


def test_a_failed_row_is_not_tried_again_before_its_next_attempt_time(robot):
    """Section 6: the task's own retry and the sweep both fire at the next attempt time; an early
    or second call must not spend another attempt."""
    robot.answers = [(503, {})]
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url)
    assert deliver(notification_id=row.pk).status == "retry"
    assert deliver(notification_id=row.pk).status == "skipped"
    row.refresh_from_db()
    assert row.attempts == 1 and len(robot.received) == 1


def test_a_long_webhook_message_is_cut_with_a_pointer_to_the_system(robot):
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url)
    Notification.objects.filter(pk=row.pk).update(body="\n".join(f"- 第 {i} 行" for i in range(2000)))
    deliver(notification_id=row.pk)
    text = robot.received[0]["markdown"]["text"]
    assert len(text) < 2000 and text.endswith("完整清单请登录系统查看）")


def test_a_long_chinese_webhook_message_fits_wecoms_4096_bytes(robot, land_unit):
    # 1,500 Chinese characters are about 4,500 bytes of UTF-8: over WeCom's markdown limit.
    land_unit.webhook_url, land_unit.webhook_kind = robot.url, "wecom"
    land_unit.save()
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url, unit=land_unit)
    line = "- 嵊州某新能源汽车零部件产业园项目｜供地｜逾期四十五天（红灯）｜市自然资源局"
    Notification.objects.filter(pk=row.pk).update(body="\n".join([line] * 200))
    deliver(notification_id=row.pk)
    markdown = robot.received[0]["markdown"]
    assert len(markdown["content"].encode()) <= 4096
    assert markdown["content"].endswith("完整清单请登录系统查看）")
    assert markdown["content"].count(line) >= 30  # cut near the limit (about 115 bytes a line), at a line end


def test_user_text_in_a_robot_message_cannot_become_a_link_or_markup(robot):
    row = outbox_row(channel=Channel.WEBHOOK, address=robot.url)
    name = "[点此查看](http://evil.example) <a href='http://evil.example'>详情</a> **紧急** ![x](http://evil.example/x.png)"
    Notification.objects.filter(pk=row.pk).update(subject=f"【节点到期提醒】{name}", body=f"- 项目「{name}」逾期")
    deliver(notification_id=row.pk)
    markdown = robot.received[0]["markdown"]
    for text in (markdown["title"], markdown["text"]):
        assert "[点此查看]" not in text and "<a " not in text and "**紧急**" not in text and "![" not in text
        assert "［点此查看］" in text
    assert "\n\n- 项目「" in markdown["text"]  # our own list stays a list


def test_writing_the_same_reason_twice_creates_nothing_new(land_unit):
    land_unit.email = "office@example.com"
    land_unit.save()
    message = Message(Kind.REMINDER, "reminder:same", "标题", "正文")
    directory = services.Directory()
    assert write_outbox(rows_for_unit(message, land_unit, directory)).created == 2
    assert write_outbox(rows_for_unit(message, land_unit, directory)).created == 0
    assert Notification.objects.count() == 2


def test_rows_are_enqueued_when_the_transaction_commits(land_unit, monkeypatch, django_capture_on_commit_callbacks):
    land_unit.email = "office@example.com"
    land_unit.save()
    queued = []
    monkeypatch.setattr(tasks.deliver_notification, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        write_outbox(rows_for_unit(Message(Kind.REMINDER, "r:1", "标题", "正文"), land_unit, services.Directory()))
        assert queued == []  # nothing leaves before commit
    assert queued == list(Notification.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True))


def test_an_unreachable_broker_leaves_the_rows_pending_for_the_sweep(land_unit, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    land_unit.email = "office@example.com"
    land_unit.save()

    def down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.deliver_notification, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        write_outbox(rows_for_unit(Message(Kind.REMINDER, "r:2", "标题", "正文"), land_unit, services.Directory()))
    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.status == DeliveryStatus.PENDING

    queued = []
    monkeypatch.setattr(tasks.deliver_notification, "delay", queued.append)
    assert sweep_pending() == 0  # within the grace period the on-commit publish is trusted
    assert sweep_pending(now=timezone.now() + services.SWEEP_GRACE) == 1
    assert queued == [row.pk]


def test_the_deliver_command_sends_due_rows_without_a_broker():
    from django.core.management import call_command

    row = outbox_row()
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    call_command("deliver_notifications")
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


def test_the_inbox_shows_a_users_rows_and_those_written_to_the_unit_before_it_had_users(land_unit):
    from notifications.selectors import inbox_for
    from projects.models import Role
    from tests.factories import UnitFactory, UserFactory

    message = Message(Kind.REMINDER, "reminder:early", "标题", "正文")
    write_outbox(rows_for_unit(message, land_unit, services.Directory()))  # no users yet: unit row
    user = UserFactory(username="late", role=Role.UNIT, role__unit=land_unit)
    write_outbox(rows_for_unit(Message(Kind.REMINDER, "reminder:later", "标题", "正文"), land_unit,
                               services.Directory()))
    assert [n.reason for n in inbox_for(user)] == ["reminder:later", "reminder:early"]
    other = UserFactory(username="other", role=Role.UNIT, role__unit=UnitFactory(name="丁单位"))
    assert list(inbox_for(other)) == []


def test_the_admin_retry_action_puts_failed_rows_back_but_leaves_inbox_rows(admin_client):
    failed = outbox_row()
    Notification.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS)
    inbox = outbox_row(channel=Channel.INBOX, address="")
    admin_client.post("/admin/notifications/notification/",
                      {"action": "retry", "_selected_action": [failed.pk, inbox.pk]})
    failed.refresh_from_db()
    inbox.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)
    assert inbox.status == DeliveryStatus.SENT


def test_the_deliver_command_says_how_many_wait_and_when_they_go():
    """Issue 10: right after an alert the rows are in their grace period: the command says so."""
    import io

    from django.core.management import call_command

    rows = [services._row(Message(Kind.REMINDER, f"reminder:{i}", "标题", "正文"), Channel.EMAIL, "unit:test",
                          address="unit@example.com") for i in range(3)]
    Notification.objects.bulk_create(rows)
    first = min(row.next_attempt_at for row in rows)
    out = io.StringIO()
    call_command("deliver_notifications", stdout=out)
    text = out.getvalue()
    assert text.startswith("没有到期待发送的消息\n另有 3 条等待发送，最早一条将于 ")
    assert f"{timezone.localtime(first):%Y-%m-%d %H:%M:%S}" in text and "--all" in text
    assert mail.outbox == []


def test_the_deliver_command_with_all_sends_the_rows_in_their_grace_period():
    import io

    from django.core.management import call_command

    outbox_row()
    out = io.StringIO()
    call_command("deliver_notifications", "--all", stdout=out)
    assert out.getvalue() == "已发送 1 条\n" and len(mail.outbox) == 1


def test_kombus_no_hostname_warning_is_hidden_only_on_the_embedded_broker(monkeypatch):
    """The filesystem broker has no host by design; with Redis the warning would mean something."""
    import logging

    from config import settings as config

    record = logging.LogRecord("kombu.connection", logging.WARNING, "", 0,
                               "No hostname was supplied. Reverting to default 'localhost'", None, None)
    monkeypatch.setattr(config, "REDIS_URL", "")
    assert not config._not_the_embedded_brokers_hostname(record)
    monkeypatch.setattr(config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    assert config._not_the_embedded_brokers_hostname(record)
    other = logging.LogRecord("kombu.connection", logging.WARNING, "", 0, "Connection refused", None, None)
    monkeypatch.setattr(config, "REDIS_URL", "")
    assert config._not_the_embedded_brokers_hostname(other)
