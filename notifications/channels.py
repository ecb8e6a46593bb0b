"""Delivery channels behind one interface: `CHANNELS[notification.channel].notify(notification)`.

`notify` returns on success and raises `DeliveryError` (or anything else) on failure; the caller
records the error and retries. Channels never write to the database; a webhook reads its robot's
settings from the row's owner, which `deliver` loads with the row.
"""

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from projects.models import RobotKind, robot_kind_of_url

from .models import Channel

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
# A robot message is read on a phone: at most this many characters, whatever the robot accepts.
WEBHOOK_MAX_CHARS = 1500
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


@dataclass(frozen=True)
class Robot:
    """How to talk to one group robot: its kind (the JSON it takes), its 加签 secret, its keyword."""

    kind: str
    secret: str = ""
    keyword: str = ""


def robot_for(notification) -> Robot:
    """The robot settings of the row's owner (a unit, the center or a leader) while the owner's
    address is still the one the row was written for; otherwise what the address itself says."""
    owner = notification.unit if notification.unit_id else (notification.leader if notification.leader_id else None)
    if owner is not None and owner.webhook_url == notification.address:
        return Robot(kind=owner.webhook_kind, secret=owner.webhook_secret, keyword=owner.webhook_keyword)
    return Robot(kind=robot_kind_of_url(notification.address) or RobotKind.DINGTALK)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64 of HMAC-SHA256 over "timestamp\nsecret" keyed with the secret, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书 加签: base64 of HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _with_query(url: str, **params) -> str:
    return url + ("&" if urllib.parse.urlsplit(url).query else "?") + "&".join(f"{k}={v}" for k, v in params.items())


class DingTalkFormat:
    """{"msgtype": "markdown", "markdown": {"title", "text"}}; 加签 as timestamp & sign query parameters."""

    max_bytes = 20000  # DingTalk refuses a message over 20,000 bytes

    def request(self, *, url, subject, delivery, text, robot, now):
        heading = f"### {subject}\n\n"
        body = _cut(f"> {delivery}\n\n{text}", max_bytes=self.max_bytes - len(heading.encode()))
        if robot.secret:
            timestamp = int(now.timestamp() * 1000)
            url = _with_query(url, timestamp=timestamp, sign=dingtalk_sign(robot.secret, timestamp))
        return url, {"msgtype": "markdown", "markdown": {"title": subject, "text": heading + body}}


class WeComFormat:
    """{"msgtype": "markdown", "markdown": {"content"}}; WeCom has no signature."""

    max_bytes = 4096  # WeCom's markdown content limit, in bytes of UTF-8 (a Chinese character is 3)

    def request(self, *, url, subject, delivery, text, robot, now):
        heading = f"**{subject}**\n\n"
        body = _cut(f"> {delivery}\n\n{text}", max_bytes=self.max_bytes - len(heading.encode()))
        return url, {"msgtype": "markdown", "markdown": {"content": heading + body}}


class FeishuFormat:
    """飞书/Lark: {"msg_type": "text", "content": {"text"}}, 加签 as timestamp & sign in the body."""

    max_bytes = 18000  # the request body may be 20 KB; room left for the JSON around the text

    def request(self, *, url, subject, delivery, text, robot, now):
        heading = f"{subject}\n\n"
        body = _cut(f"{delivery}\n\n{text}", max_bytes=self.max_bytes - len(heading.encode()))
        payload = {"msg_type": "text", "content": {"text": heading + body}}
        if robot.secret:
            timestamp = int(now.timestamp())
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(robot.secret, timestamp), **payload}
        return url, payload


ROBOT_FORMATS = {RobotKind.DINGTALK: DingTalkFormat(), RobotKind.WECOM: WeComFormat(), RobotKind.FEISHU: FeishuFormat()}


class WebhookChannel:
    """A group robot: a JSON POST in its kind's format, signed when it has a 加签 secret, its
    keyword always in the title (a 关键词 robot refuses a message without it)."""

    def notify(self, notification) -> None:
        if not notification.address:
            raise DeliveryError("no webhook URL")
        robot = robot_for(notification)
        # User text (project names, problems, replies) must not become markup in the group.
        subject = plain_markdown(notification.subject)
        if robot.keyword and robot.keyword not in subject:
            subject = f"【{robot.keyword}】{subject}"
        # A robot has no idempotency key: a message re-sent after a worker died mid-send arrives twice.
        # The row's id (and which attempt this is) makes such a duplicate visible to the group.
        delivery = f"消息编号 {notification.pk} · 第 {notification.attempts} 次发送"
        url, payload = ROBOT_FORMATS[robot.kind].request(
            url=notification.address, subject=subject, delivery=delivery, text=plain_markdown(notification.body),
            robot=robot, now=timezone.now())
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                raw = response.read(65536)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"webhook POST failed: {exc}") from exc
        # The robots answer HTTP 200 with an error code in the body when they refuse a message
        # (DingTalk and WeCom: errcode/errmsg; 飞书: code/msg).
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            return
        if not isinstance(answer, dict):
            return
        code = answer.get("errcode", answer.get("code", 0))
        if code not in (0, "0", None):
            raise DeliveryError(f"webhook refused: {code} {answer.get('errmsg', answer.get('msg', ''))}")


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
