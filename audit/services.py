"""Writing audit records where no model signal fires (issue 8 §2): a queryset UPDATE, and the
ledger import's bulk statements. Everything else is recorded by django-auditlog's receivers."""

from auditlog.diff import model_instance_diff
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.utils.encoding import smart_str

from .models import AuditEntry, project_id_of


def _json_value(value):
    return value if value is None or isinstance(value, (bool, int, float, str)) else smart_str(value)


def audit_record_update(instance, changes: dict):
    """Record `changes` ({field name: (old, new)}) made to `instance` by an UPDATE statement."""
    changes = {name: [_json_value(old), _json_value(new)] for name, (old, new) in changes.items() if old != new}
    if changes:
        AuditEntry.objects.log_create(instance, action=AuditEntry.Action.UPDATE, changes=changes)


def audit_bulk(records, *, batch_size=2000):
    """Audit records for a bulk write, in one INSERT per batch. `records` are (action, old, new)
    with `old`/`new` model instances (None for a create's old or a delete's new), as auditlog's
    receivers would have seen them one by one."""
    from .context import current

    context = current()
    actor = context.actor
    entries = []
    content_types = {}
    for action, old, new in records:
        instance = new if new is not None else old
        if not auditlog.contains(type(instance)):
            continue
        changes = model_instance_diff(old, new, use_json_for_changes=True)
        if not changes:
            continue
        model = type(instance)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model)
        entries.append(AuditEntry(
            content_type=content_types[model], object_pk=str(instance.pk), object_id=instance.pk,
            object_repr=smart_str(instance), action=action, changes=changes, actor=actor,
            channel=context.channel, remote_addr=context.remote_addr, project_id=project_id_of(instance),
        ))
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)
