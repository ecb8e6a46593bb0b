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
from django.utils.translation import gettext_lazy as _

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
    # No database constraint: the record outlives a deleted project. No index of its own either: the
    # (project, -timestamp, -id) index below serves every query by project (issue 12: each index of
    # this table is upkeep on every record an import writes, ~70,000 per 10,000 rows).
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, related_name="+",
    )
    # auditlog's columns as it declares them, less the indexes nothing reads (migrations 0004 and
    # 0005): the correlation id is never set (auditlog's middleware, which sets it, is not
    # installed); object_pk is read only for a model whose primary key is not an integer
    # (auditlog's get_for_object and get_for_objects read object_id otherwise), and every model
    # audited here has an integer key; an index of the action's three values serves no query (the
    # admin's filter by action walks the timestamp index). Two indexes fewer took a fifth off the
    # server's time to write an import's audit rows (issue 12: 570 → 440 ms for 68,000 rows).
    object_pk = models.CharField(max_length=255, verbose_name=_("object pk"))
    action = models.PositiveSmallIntegerField(choices=AbstractLogEntry.Action.choices, verbose_name=_("action"))
    cid = models.CharField(max_length=255, blank=True, null=True, verbose_name=_("Correlation ID"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    append_only_clear = ("actor",)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = verbose_name_plural = "变更记录"
        indexes = [models.Index(fields=["project", "-timestamp", "-id"], name="auditentry_project")]
