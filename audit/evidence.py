"""Records that are evidence are only ever added (issue 8 §2).

批示, problem replies, the transition history, sent notifications and the audit trail itself: a
correction is a new record, for everyone, administrators included. Three layers refuse a change:
the admin (no change or delete permission), the model (`save` of an existing row and `delete`
raise, and so do the queryset's `update` and `delete`), and on PostgreSQL a trigger
(audit/migrations/0002), which also catches raw SQL and whatever a future code path forgets.
The foreign keys into evidence are PROTECT, so a cascade cannot remove it either.

A few columns may change once, and say so: `fill` columns may be set from empty (a transition
marked reverted, a notification marked read), `clear` columns may be emptied (a user reference
set to NULL when that account is deleted).
"""

import contextlib
from contextvars import ContextVar

from django.db import IntegrityError, connection, models

_purge_allowed: ContextVar[bool] = ContextVar("evidence_purge_allowed", default=False)


class AppendOnlyError(IntegrityError):
    """The same type the PostgreSQL trigger raises, so callers see one kind of refusal."""


def _refuse(model, action):
    raise AppendOnlyError(f"{model._meta.label} is append-only: a record cannot be {action}; add a correction")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if not _purge_allowed.get():
            _refuse(self.model, "updated")
        return super().update(**kwargs)

    def delete(self):
        if not _purge_allowed.get():
            _refuse(self.model, "deleted")
        return super().delete()


class AppendOnlyModel(models.Model):
    # Field names that may be set once from empty / emptied (see the module docstring).
    append_only_fill: tuple[str, ...] = ()
    append_only_clear: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def is_evidence(self, stored: dict) -> bool:
        """Whether the stored row (a dict of attnames) is evidence; a notification becomes so once sent."""
        return True

    def _stored(self):
        names = [field.attname for field in self._meta.concrete_fields]
        return type(self)._base_manager.filter(pk=self.pk).values(*names).first()

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk is not None and not _purge_allowed.get():
            self._check_update(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _check_update(self, update_fields):
        stored = self._stored()
        if stored is None or not self.is_evidence(stored):
            return
        if not update_fields:
            _refuse(type(self), "changed")
        for name in update_fields:
            attname = self._meta.get_field(name).attname
            old, new = stored[attname], getattr(self, attname)
            if old == new:
                continue
            if name in self.append_only_fill and old is None:
                continue
            if name in self.append_only_clear and new is None:
                continue
            _refuse(type(self), f"changed ({name})")

    def delete(self, *args, **kwargs):
        if not _purge_allowed.get():
            stored = self._stored()
            if stored is not None and self.is_evidence(stored):
                _refuse(type(self), "deleted")
        return super().delete(*args, **kwargs)


@contextlib.contextmanager
def purge_allowed(*models_):
    """Lift the guard to wipe a whole database (a test that starts from an empty ledger, a restore).
    Never used by the product's code paths. On PostgreSQL it disables the trigger of `models_` for
    the enclosing transaction only (ALTER TABLE is transactional there)."""
    token = _purge_allowed.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                _check_deferred_constraints_now(cursor)
                for model in models_:
                    cursor.execute(f"ALTER TABLE {connection.ops.quote_name(model._meta.db_table)} "
                                   f"DISABLE TRIGGER {TRIGGER_NAME}")
        yield
    finally:
        _purge_allowed.reset(token)
        if connection.vendor == "postgresql" and connection.connection is not None and connection.in_atomic_block:
            with connection.cursor() as cursor:
                _check_deferred_constraints_now(cursor)
                for model in models_:
                    cursor.execute(f"ALTER TABLE {connection.ops.quote_name(model._meta.db_table)} "
                                   f"ENABLE TRIGGER {TRIGGER_NAME}")


def _check_deferred_constraints_now(cursor):
    """PostgreSQL refuses ALTER TABLE on a table with pending trigger events, and Django's foreign
    keys are checked at commit (DEFERRABLE INITIALLY DEFERRED): rows written earlier in the same
    transaction (a test's fixtures) leave such events. Checking them now clears them; later writes
    are deferred again as usual."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- the PostgreSQL trigger -----------------------------------------------------------------------

TRIGGER_NAME = "evidence_append_only"

TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER_NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    arg text;
    col text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is append-only: row % cannot be deleted', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    old_row := to_jsonb(OLD);
    new_row := to_jsonb(NEW);
    IF TG_NARGS > 0 THEN
        FOREACH arg IN ARRAY TG_ARGV LOOP
            col := split_part(arg, ':', 2);
            IF new_row -> col IS DISTINCT FROM old_row -> col AND (
                (split_part(arg, ':', 1) = 'fill' AND old_row ->> col IS NOT NULL)
                OR (split_part(arg, ':', 1) = 'clear' AND new_row ->> col IS NOT NULL)
            ) THEN
                RAISE EXCEPTION '% is append-only: %.% of row % cannot change', TG_TABLE_NAME, TG_TABLE_NAME, col,
                    OLD.id USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            old_row := old_row - col;
            new_row := new_row - col;
        END LOOP;
    END IF;
    IF new_row IS DISTINCT FROM old_row THEN
        RAISE EXCEPTION '% is append-only: row % cannot be changed', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
"""


def trigger_sql(table, *, fill=(), clear=(), when=""):
    """The CREATE TRIGGER statement for one append-only table; `fill` and `clear` are column names
    (the models' append_only_fill / append_only_clear)."""
    args = [f"'fill:{column}'" for column in fill] + [f"'clear:{column}'" for column in clear]
    condition = f" WHEN ({when})" if when else ""
    return (f'DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON "{table}"; '
            f'CREATE TRIGGER {TRIGGER_NAME} BEFORE UPDATE OR DELETE ON "{table}" FOR EACH ROW{condition} '
            f"EXECUTE FUNCTION {TRIGGER_NAME}({', '.join(args)});")


def drop_trigger_sql(table):
    return f'DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON "{table}";'
