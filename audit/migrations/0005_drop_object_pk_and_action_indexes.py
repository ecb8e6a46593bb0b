"""Two more indexes of the audit table that no query reads (issue 12; see audit/models.py): object_pk's,
read only for a model whose primary key is not an integer (none is audited here), and the action's (three
values). Each is upkeep on every record: without them the server wrote a 10,000-row import's 68,000
audit rows in 440 instead of 570 ms.

The indexes are dropped by name rather than by altering the field: on SQLite, altering the field
would rebuild the whole audit table, a copy of every record, to drop one index."""

from django.db import migrations, models

# Django's name for the index of the action field's db_index, and the one Meta.indexes named.
ACTION, OBJECT_PK = "audit_auditentry_action_dee621eb", "auditentry_object_pk"


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_drop_unused_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {ACTION}",
                                  f"CREATE INDEX {ACTION} ON audit_auditentry (action)"),
                migrations.RunSQL(f"DROP INDEX IF EXISTS {OBJECT_PK}",
                                  f"CREATE INDEX {OBJECT_PK} ON audit_auditentry (object_pk)"),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="auditentry", name=OBJECT_PK),
                migrations.AlterField(
                    model_name="auditentry",
                    name="action",
                    field=models.PositiveSmallIntegerField(
                        choices=[(0, "create"), (1, "update"), (2, "delete"), (3, "access")], verbose_name="action"),
                ),
            ],
        ),
    ]
