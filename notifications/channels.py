"""Delivery channels behind one interface: `CHANNELS[notification.channel].notify(notification)`.

`notify` returns on success and raises `DeliveryError` (or anything else) on failure; the caller
records the error and retries. Channels never touch the database.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

from .models import Channel

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
# DingTalk rejects robot messages over 20,000 bytes; WeCom's markdown limit is 4,096 bytes of UTF-8,
# and a Chinese character takes 3 of them, so 1,500 characters can be too many: both limits apply.
WEBHOOK_MAX_CHARS = 1500
WEBHOOK_MAX_BYTES = 4096
WEBHOOK_CUT_NOTE = "\n……（内容较长，完整清单请登录系统查看）"


class DeliveryError(Exception):
    pass


class InboxChannel:
    """The row is the inbox entry: there is nothing to send."""

    def notify(self, notification) -> None:
        return None


class EmailChannel:
    def notify(self, notification) -> None:
        if not notification.address:
            raise DeliveryError("no e-mail address")
        message = EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.address],
        )
        if notification.attach_bulletin_as_of:
            pdf = _bulletin_pdf(notification.attach_bulletin_as_of)
            if pdf:
                name = f"重大项目周报-{notification.attach_bulletin_as_of:%Y%m%d}.pdf"
                message.attach(name, pdf, "application/pdf")
        message.send(fail_silently=False)


def _bulletin_pdf(as_of):
    """The weekly bulletin from the reports app; the alert still goes out without it."""
    try:
        from reports.bulletin import bulletin_pdf
    except ImportError:
        logger.info("reports.bulletin.bulletin_pdf is not available; sending the weekly alert without the PDF")
        return None
    return bulletin_pdf(as_of=as_of)


class WebhookChannel:
    """A group robot (DingTalk / WeCom): JSON POST of a markdown message. Both accept
    {"msgtype": "markdown", "markdown": {...}}; DingTalk wants a title, WeCom ignores it."""

    def notify(self, notification) -> None:
        if not notification.address:
            raise DeliveryError("no webhook URL")
        subject = plain_markdown(notification.subject)
        heading = f"### {subject}\n\n"  # as long as the "**…**" one of WeCom
        # A robot has no idempotency key: a message re-sent after a worker died mid-send arrives twice.
        # The row's id (and which attempt this is) makes such a duplicate visible to the group.
        delivery = f"> 消息编号 {notification.pk} · 第 {notification.attempts} 次发送\n\n"
        text = _cut(plain_markdown(notification.body),
                    max_bytes=WEBHOOK_MAX_BYTES - len(heading.encode()) - len(delivery.encode()))
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": subject,
                         "content": f"**{subject}**\n\n{delivery}{text}",
                         "text": f"### {subject}\n\n{delivery}{text}"},
        }
        request = urllib.request.Request(
            notification.address,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                raw = response.read(65536)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"webhook POST failed: {exc}") from exc
        # Both robots answer HTTP 200 with an error code in the body when they refuse a message.
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            return
        if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
            raise DeliveryError(f"webhook refused: {answer.get('errcode')} {answer.get('errmsg', '')}")


# Markdown that user text (a project name, a problem, a reply) could carry into a group message: a
# link or image ([…](…)), HTML (<a …>), emphasis, code, headings. Their full-width forms read the
# same to a Chinese reader and are never markup, whatever the robot's markdown dialect (neither
# robot documents backslash escapes). Our own message text uses none of them; its "- " lists stay.
MARKDOWN_TO_PLAIN = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "｀", "#": "＃",
                                   "!": "！", "~": "～", "|": "｜"})


def plain_markdown(text: str) -> str:
    return text.translate(MARKDOWN_TO_PLAIN)


def _cut(text: str, *, max_bytes: int) -> str:
    """`text` as is when it fits WEBHOOK_MAX_CHARS and `max_bytes` (UTF-8), else cut at a line
    end, with a note to read the rest in the system, so that the whole still fits."""
    if len(text) <= WEBHOOK_MAX_CHARS and len(text.encode()) <= max_bytes:
        return text
    budget = max_bytes - len(WEBHOOK_CUT_NOTE.encode())
    head = text[:WEBHOOK_MAX_CHARS - len(WEBHOOK_CUT_NOTE)].encode()[:budget].decode("utf-8", "ignore")
    return head.rsplit("\n", 1)[0] + WEBHOOK_CUT_NOTE


CHANNELS = {
    Channel.INBOX: InboxChannel(),
    Channel.EMAIL: EmailChannel(),
    Channel.WEBHOOK: WebhookChannel(),
}


def notify(notification) -> None:
    CHANNELS[notification.channel].notify(notification)
