"""PostgreSQL triggers that refuse changing or deleting evidence (audit/evidence.py explains which
columns may still change once). SQLite relies on the model and queryset guards; PostgreSQL is what
production runs, and the trigger also stops raw SQL and a cascade."""

from django.db import migrations

from audit.evidence import TRIGGER_FUNCTION, TRIGGER_NAME, drop_trigger_sql, trigger_sql

# table: (fill-once columns, clearable columns, condition)
TABLES = {
    "projects_transitionlog": (["reverted_by_id"], ["by_id"], ""),
    "projects_instruction": ([], ["by_id"], ""),
    "projects_problemreply": ([], ["by_id"], ""),
    "notifications_notification": (["read_at"], ["node_id"], "OLD.status = 'sent'"),
    "audit_auditentry": ([], ["actor_id"], ""),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # No parameters: the function body has "%" placeholders of its own (RAISE).
    schema_editor.execute(TRIGGER_FUNCTION, params=None)
    for table, (fill, clear, when) in TABLES.items():
        schema_editor.execute(trigger_sql(table, fill=fill, clear=clear, when=when), params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(drop_trigger_sql(table))
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER_NAME}()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("projects", "0004_problem_replies"),
        ("notifications", "0004_notification_references_protect"),
    ]

    operations = [migrations.RunPython(create, drop)]
