"""Reading the audit trail: a project's 变更记录 (issue 8 §2)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet

from .models import AuditEntry

ACTION_LABELS = {AuditEntry.Action.CREATE: "新增", AuditEntry.Action.UPDATE: "修改", AuditEntry.Action.DELETE: "删除"}
EMPTY = "—"


def project_changes(project) -> QuerySet[AuditEntry]:
    """Every record of the project and of its nodes, problems, replies, 批示 and notes, newest first."""
    return (AuditEntry.objects.filter(project_id=project.pk)
            .select_related("actor", "content_type").order_by("-timestamp", "-id"))


@dataclass
class ChangeRow:
    entry: AuditEntry
    object_label: str
    action_label: str
    fields: list = field(default_factory=list)  # (label, old, new)


def describe(entries) -> list[ChangeRow]:
    """What the page shows for each record: Chinese field labels, choice labels rather than codes,
    names rather than ids. References are looked up once per referenced model for all the entries
    given, so a page of records costs a fixed number of queries."""
    entries = list(entries)
    wanted = {}  # related model -> pks
    parsed = []
    for entry in entries:
        model = entry.content_type.model_class()
        fields = []
        for name, values in (entry.changes or {}).items():
            if name == "id" or not isinstance(values, (list, tuple)) or len(values) != 2:
                continue
            try:
                model_field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                model_field = None
            if model_field is not None and not model_field.concrete:
                continue
            if model_field is not None and model_field.many_to_one and model_field.related_model._meta.label == (
                    "projects.Project"):
                continue  # a node's, problem's or note's project: the page's own
            if model_field is not None and model_field.many_to_one:
                for value in values:
                    if value not in (None, "", "None"):
                        wanted.setdefault(model_field.related_model, set()).add(str(value))
            fields.append((name, model_field, values))
        if model is not None:
            order = {f.name: index for index, f in enumerate(model._meta.fields)}
            fields.sort(key=lambda item: order.get(item[0], len(order)))
        parsed.append((entry, model, fields))
    names = {model: _names(model, pks) for model, pks in wanted.items()}
    rows = []
    for entry, model, fields in parsed:
        row = ChangeRow(
            entry=entry,
            object_label=_object_label(model, entry),
            action_label=ACTION_LABELS.get(entry.action, ""),
        )
        for name, model_field, (old, new) in fields:
            label = str(model_field.verbose_name) if model_field is not None else name
            old, new = _display(model_field, old, names), _display(model_field, new, names)
            # A new record lists what it was created with, a deleted one what it had: not the blanks.
            if (entry.action == AuditEntry.Action.CREATE and new == EMPTY) or (
                    entry.action == AuditEntry.Action.DELETE and old == EMPTY):
                continue
            row.fields.append((label, old, new))
        rows.append(row)
    return rows


def _names(model, pks):
    objects = model._base_manager.in_bulk([int(pk) for pk in pks if str(pk).isdigit()])
    if model is get_user_model():
        return {str(pk): user.get_full_name() or user.get_username() for pk, user in objects.items()}
    return {str(pk): str(obj) for pk, obj in objects.items()}


def _object_label(model, entry):
    if model is None:
        return entry.object_repr
    label = str(model._meta.verbose_name)
    if model._meta.label == "projects.Project":
        return label
    text = entry.object_repr
    if model._meta.label == "milestones.Node":
        text = text.split("·", 1)[-1]  # Node's str is "<project id>·<节点>"; the page is the project's
    return f"{label}「{text}」"


def _display(model_field, value, names):
    if value is None or value == "" or value == "None":
        return EMPTY
    if model_field is None:
        return str(value)
    if model_field.many_to_one:
        return names.get(model_field.related_model, {}).get(str(value), f"#{value}（已删除）")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
