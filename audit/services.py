"""Writing audit records where no model signal fires (issue 8 §2): a queryset UPDATE, and the
ledger import's bulk statements. Everything else is recorded by django-auditlog's receivers."""

import datetime
import operator

from auditlog.diff import model_instance_diff, track_field
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import DateTimeField, JSONField
from django.utils import timezone
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
    entries = [AuditEntry(**row) for row in audit_rows(records)]
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)


def audit_rows(records, *, at=None) -> list[dict]:
    """`audit_bulk`'s AuditEntry rows as {field attname: value}, for a caller that writes them its
    own way (the ledger import COPYs them). Every row of one bulk write carries the same moment:
    now, or `at` (one import writing its records in parts)."""
    from .context import current

    context = current()
    common = {"actor_id": getattr(context.actor, "pk", None), "channel": context.channel,
              "remote_addr": context.remote_addr, "timestamp": at or timezone.now()}
    content_types, rows = {}, []  # content_types: model -> its content type's id, or None if not audited
    for action, old, new in records:
        instance = new if new is not None else old
        model = type(instance)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model).pk if auditlog.contains(model) else None
        if content_types[model] is None:
            continue
        changes = _diff(model, old, new)
        if not changes:
            continue
        pk = instance.pk
        rows.append({
            **common, "content_type_id": content_types[model], "object_pk": str(pk), "object_id": pk,
            "object_repr": str(instance), "action": action, "changes": changes, "project_id": project_id_of(instance),
        })
    return rows


# --- auditlog's diff, fast ------------------------------------------------------------------------
# auditlog.diff.model_instance_diff (use_json_for_changes=True) spends ~200 µs an object looking
# fields up again for every object; a 10,000-row import audits 70,000 objects (issue 12). _diff gives
# the same dictionary from per-model field lists built once; tests/audit/test_fast_diff.py holds the
# two side by side.


def _diff(model, old, new):
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = _plan(model)
    if plan is False:  # a registration this fast path does not cover: auditlog's own diff
        return model_instance_diff(old, new, use_json_for_changes=True)
    if old is None or new is None:  # a create or a delete: every value that is not None
        values = plan[0](new if old is None else old)
        # _json_ready inlined: a create's diff is most of an import's audit (issue 12).
        if old is None:
            changes = {name: [None, value if isinstance(value, _PRIMITIVE) else str(value)]
                       for name, value in values if value is not None}
        else:
            changes = {name: [value if isinstance(value, _PRIMITIVE) else str(value), None]
                       for name, value in values if value is not None}
        return changes or None
    fields = plan[1]
    changes = {}
    for name, value_of in fields:
        old_value = None if old is None else value_of(old)
        new_value = None if new is None else value_of(new)
        if old_value != new_value:
            changes[name] = [_json_ready(old_value), _json_ready(new_value)]
    return changes or None


_plans: dict = {}
_PRIMITIVE = (type(None), bool, int, float, str, list, tuple, dict, set)


def _json_ready(value):
    # auditlog stores a non-primitive value (Decimal, date, datetime) as its smart_str(), its str().
    return value if isinstance(value, _PRIMITIVE) else str(value)


def _plan(model):
    """(fields of a create or delete, fields of an update), each [(name, value getter)], in
    auditlog's choice of fields and reading of values; False where masks or field lists apply."""
    options = auditlog.get_model_fields(model)
    if options["include_fields"] or options["mask_fields"] or settings.AUDITLOG_USE_FK_STRING_REPRESENTATION:
        return False
    excluded = set(options["exclude_fields"])
    one_sided = [f for f in model._meta.get_fields() if track_field(f) and f.name not in excluded]
    both = [f for f in model._meta.fields if f.name not in excluded]
    if any(not getattr(f, "concrete", False) for f in one_sided):
        return False
    return _all_values(one_sided), [(f.name, _value_getter(f)) for f in both]


def _all_values(fields):
    """One object's (name, value) pairs for `fields`, the plain attributes read in one call."""
    plain = [f for f in fields if _is_plain(f)]
    other = [(f.name, _value_getter(f)) for f in fields if not _is_plain(f)]
    names = [f.name for f in plain]
    pick = operator.attrgetter(*[f.attname for f in plain]) if plain else (lambda obj: ())
    if len(plain) == 1:
        single = pick
        pick = lambda obj: (single(obj),)  # noqa: E731
    return lambda obj: [*zip(names, pick(obj)), *((name, get(obj)) for name, get in other)]


def _is_plain(field):
    return not isinstance(field, (DateTimeField, JSONField)) and not (
        (field.one_to_one or field.many_to_one) and hasattr(field, "rel_class"))


def _value_getter(field):
    """auditlog.diff.get_field_value(obj, field, use_json_for_changes=True) for one field."""
    if isinstance(field, DateTimeField):
        def value_of(obj):
            value = field.to_python(getattr(obj, field.attname))
            if value is not None and settings.USE_TZ and not timezone.is_naive(value):
                value = timezone.make_naive(value, timezone=datetime.UTC)
            return value
        return value_of
    if isinstance(field, JSONField):
        return lambda obj: field.to_python(getattr(obj, field.attname))
    attname = field.attname
    if (field.one_to_one or field.many_to_one) and hasattr(field, "rel_class"):
        def key_of(obj):
            value = getattr(obj, attname)
            # smart_str(strings_only=True) keeps an int or a str as it is: skip it for them.
            return value if value is None or type(value) in (int, str) else smart_str(value, strings_only=True)
        return key_of
    return operator.attrgetter(attname)
