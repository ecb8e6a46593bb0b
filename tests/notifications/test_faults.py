"""Issue 8 section 4: failures lose no notification. A channel that keeps failing is retried with
backoff and marked failed after the last attempt, where administrators see it; a message re-sent
after a worker died mid-send carries the same delivery id, so the duplicate is visible."""

import datetime
import html
import re
import socketserver
import threading

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from notifications import channels, services
from notifications.models import Channel, DeliveryStatus, Kind, Notification
from notifications.services import MAX_ATTEMPTS, Message, backoff_seconds, deliver

pytestmark = pytest.mark.django_db

DELIVERY_ID = re.compile(r"消息编号 (\d+) · 第 (\d+) 次发送")


def outbox_row(channel, address, reason="reminder:fault"):
    message = Message(Kind.REMINDER, reason, "【节点到期提醒】故障测试", "正文")
    row = services._row(message, channel, "unit:fault", address=address)
    row.save()
    return row


class _FailingSmtp(socketserver.StreamRequestHandler):
    """An SMTP server that greets, then refuses every message with a temporary failure."""

    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        for line in self.rfile:
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif command.startswith(b"QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            elif command.startswith(b"MAIL"):
                self.server.refused += 1
                self.wfile.write(b"451 4.3.0 try again later\r\n")
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def failing_smtp(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FailingSmtp)
    server.daemon_threads = True
    server.refused = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.shutdown()
    server.server_close()


def _deliver_until_given_up(row):
    """Deliver the row at each of its next attempt times; the waits between attempts."""
    waits = []
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(MAX_ATTEMPTS):
            outcome = deliver(notification_id=row.pk)
            row.refresh_from_db()
            if outcome.status != "retry":
                break
            waits.append(round((row.next_attempt_at - timezone.now()).total_seconds()))
            clock.move_to(row.next_attempt_at)
    return outcome, waits


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WEBHOOK])
def test_a_failing_channel_is_retried_with_backoff_then_marked_failed_for_the_administrators(
    channel, failing_smtp, robot, admin_client
):
    address = "unit@example.com" if channel == Channel.EMAIL else robot.url
    robot.answers.extend([(500, {"errmsg": "robot down"})] * MAX_ATTEMPTS)
    row = outbox_row(channel, address)

    outcome, waits = _deliver_until_given_up(row)

    assert outcome.status == "failed"
    assert waits == [backoff_seconds(n) for n in range(1, MAX_ATTEMPTS)]  # 1, 2, 4 … minutes, at most an hour
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    attempts_seen = failing_smtp.refused if channel == Channel.EMAIL else len(robot.received)
    assert attempts_seen == MAX_ATTEMPTS
    assert ("451" if channel == Channel.EMAIL else "500") in row.last_error
    # What an administrator sees: the failed rows, with the error, in the outbox admin.
    page = admin_client.get(reverse("admin:notifications_notification_changelist") + "?status__exact=failed")
    assert page.status_code == 200
    body = page.content.decode()
    assert "发送失败" in body and "故障测试" in body and html.escape(row.last_error[:40]) in body


def test_a_robot_message_resent_after_a_crash_carries_the_same_delivery_id(robot, monkeypatch):
    row = outbox_row(Channel.WEBHOOK, robot.url)
    send = channels.notify

    def send_then_die(notification):
        send(notification)
        raise SystemExit("worker killed before it could mark the row sent")

    monkeypatch.setattr(channels, "notify", send_then_die)
    with pytest.raises(SystemExit):
        deliver(notification_id=row.pk)
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING  # the claim is all that is left of the dead worker

    # Due again once the claim has expired: the sweep picks it up and it is sent once more.
    later = row.claimed_until + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert [n for n in Notification.objects.filter(pk=row.pk, next_attempt_at__lte=later)] == [row]
        assert deliver(notification_id=row.pk).status == "sent"

    ids = [DELIVERY_ID.search(m["markdown"]["text"]).groups() for m in robot.received]
    assert ids == [(str(row.pk), "1"), (str(row.pk), "2")]
