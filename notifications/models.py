"""The notification outbox (DOMAIN.md section 6).

Every message is a row, written in the same transaction as whatever caused it, then delivered by a
Celery task. A row is marked sent only after its channel delivered it (at least once), and the
unique (reason, channel, recipient) key stops a retry, a second worker or a second scheduler run
from creating or sending it twice (deduplicated).

Recipients: a row goes to a user, `recipient` (inbox, e-mail) or to a unit as a whole (the unit's webhook or
mailbox, or the unit's inbox when the unit has no user yet, which every user of the unit then sees).
`unit` and `leader` also say on whose behalf a user received it, for filtering.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.evidence import AppendOnlyModel


class Channel(models.TextChoices):
    INBOX = "inbox", "站内消息"
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "群机器人"


class Kind(models.TextChoices):
    REMINDER = "reminder", "节点到期提醒"
    WEEKLY = "weekly", "每周逾期预警"
    ESCALATION = "escalation", "逾期升级督办"
    PROBLEM = "problem", "问题答复逾期提醒"
    PROBLEM_ASSIGNED = "problem_assigned", "问题交办"
    PROBLEM_REPLIED = "problem_replied", "问题答复"
    INSTRUCTION = "instruction", "领导批示"
    PROBLEM_RESOLVED = "problem_resolved", "问题办结"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    # Issue 9: a reminder or escalation about a project that was paused or terminated before it went out.
    CANCELLED = "cancelled", "已取消"


class Notification(AppendOnlyModel):
    """Once sent, a row is evidence (issue 8 §2, audit.evidence): only its read mark may still be set.
    Its references are PROTECT, so deleting a user, unit, project or problem cannot take it along."""

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    # What the message is for, e.g. "reminder:node=12:2026-03-02:n=3"; with the channel and the
    # recipient it is the idempotency key.
    reason = models.CharField("事由", max_length=200)
    recipient_key = models.CharField("接收方标识", max_length=64)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="notifications",
    )
    unit = models.ForeignKey(
        "projects.Unit", verbose_name="接收单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="notifications",
    )
    leader = models.ForeignKey(
        "projects.Leader", verbose_name="市领导", null=True, blank=True, on_delete=models.PROTECT,
        related_name="notifications",
    )
    address = models.CharField("地址", max_length=500, blank=True, help_text="邮箱或 Webhook 地址（发送时的快照）")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    node = models.ForeignKey(
        "milestones.Node", verbose_name="节点", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    problem = models.ForeignKey(
        "projects.Problem", verbose_name="问题", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The weekly bulletin's as-of date for the investment center's e-mail (rendered at send time).
    attach_bulletin_as_of = models.DateField("附周报（截至日期）", null=True, blank=True)

    status = models.CharField(
        "状态", max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    # Set while a worker holds the row (conditional UPDATE claim); a crashed worker's claim expires.
    claimed_until = models.DateTimeField("锁定至", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    append_only_fill = ("read_at",)
    append_only_clear = ("node",)

    class Meta:
        verbose_name = verbose_name_plural = "消息通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reason", "channel", "recipient_key"], name="notification_once"),
        ]
        indexes = [
            # The sweep only ever looks at rows still to deliver.
            models.Index(fields=["next_attempt_at"], name="notification_pending",
                         condition=Q(status="pending")),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox",
                         condition=Q(channel="inbox")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient_key} ({self.get_channel_display()})"

    def is_evidence(self, stored):
        return stored["status"] == DeliveryStatus.SENT


class ReminderOffset(models.Model):
    """Section 6: reminders go N working days before a node's planned date (default 10 and 3).
    Data, so that an administrator can add or change them."""

    working_days = models.PositiveSmallIntegerField("提前工作日数", unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "到期提醒设置"
        ordering = ["-working_days"]

    def __str__(self):
        return f"提前 {self.working_days} 个工作日"
