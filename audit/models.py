"""The audit trail (issue 8 §2): every create, change and delete of projects, nodes, problems,
replies, instructions and progress notes, with who, when, through which channel and each field's
old and new value.

django-auditlog writes the rows (its signal receivers and diff); this is its LogEntry with two
columns added (AUDITLOG_LOGENTRY_MODEL): the channel, and the project the record belongs to, so
that a project's 变更记录 — its own rows and those of its nodes, problems, replies, 批示 and notes —
is one indexed query.
"""

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models

from .context import Channel, current
from .evidence import AppendOnlyModel, AppendOnlyQuerySet


def project_id_of(instance):
    """The project an audited object belongs to."""
    label = instance._meta.label
    if label == "projects.Project":
        return instance.pk
    if label in ("projects.Instruction", "projects.ProblemReply"):
        problem = instance.problem
        return problem.project_id
    return getattr(instance, "project_id", None)


class AuditEntryManager(LogEntryManager.from_queryset(AppendOnlyQuerySet)):
    def log_create(self, instance, force_log=False, **kwargs):
        context = current()
        kwargs.setdefault("channel", context.channel)
        kwargs.setdefault("actor", context.actor)
        kwargs.setdefault("remote_addr", context.remote_addr)
        kwargs.setdefault("project_id", project_id_of(instance))
        return super().log_create(instance, force_log=force_log, **kwargs)


class AuditEntry(AppendOnlyModel, AbstractLogEntry):
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    # No database constraint: the record outlives a deleted project.
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    append_only_clear = ("actor",)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = verbose_name_plural = "变更记录"
        indexes = [models.Index(fields=["project", "-timestamp", "-id"], name="auditentry_project")]
