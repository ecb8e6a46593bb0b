"""Four indexes of the audit table that no query reads (issue 12: each is upkeep on every record
written, and a 10,000-row ledger import writes ~70,000 records): the correlation id's two (auditlog's
middleware, the only thing that sets it, is not installed), object_pk's varchar_pattern_ops copy for
LIKE (object_pk is only compared whole), and project_id's own (the (project, -timestamp, -id) index
serves every query by project, audit.selectors).

The schema is changed by hand so that object_pk's plain index is kept and renamed, not rebuilt: on a
large audit table a rebuild would hold writes for minutes during the deploy."""

from django.db import migrations, models

# Django's names for the indexes the fields' db_index made (audit/migrations/0001_initial.py).
CID, CID_LIKE = "audit_auditentry_cid_74624806", "audit_auditentry_cid_74624806_like"
OBJECT_PK, OBJECT_PK_LIKE = "audit_auditentry_object_pk_7abe54f3", "audit_auditentry_object_pk_7abe54f3_like"
PROJECT = "audit_auditentry_project_id_04c126bb"
TABLE = "audit_auditentry"


def forward(apps, schema_editor):
    run = schema_editor.execute
    for name in (CID, CID_LIKE, OBJECT_PK_LIKE, PROJECT):
        run(f"DROP INDEX IF EXISTS {name}")
    if schema_editor.connection.vendor == "postgresql":
        run(f"ALTER INDEX {OBJECT_PK} RENAME TO auditentry_object_pk")
    else:  # SQLite cannot rename an index
        run(f"DROP INDEX {OBJECT_PK}")
        run(f"CREATE INDEX auditentry_object_pk ON {TABLE} (object_pk)")


def backward(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(f"ALTER INDEX auditentry_object_pk RENAME TO {OBJECT_PK}")
        run(f"CREATE INDEX {OBJECT_PK_LIKE} ON {TABLE} (object_pk varchar_pattern_ops)")
        run(f"CREATE INDEX {CID_LIKE} ON {TABLE} (cid varchar_pattern_ops)")
    else:
        run("DROP INDEX auditentry_object_pk")
        run(f"CREATE INDEX {OBJECT_PK} ON {TABLE} (object_pk)")
    run(f"CREATE INDEX {CID} ON {TABLE} (cid)")
    run(f"CREATE INDEX {PROJECT} ON {TABLE} (project_id)")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_drop_unused_auditlog_table"),
        ("projects", "0011_next_due"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="cid",
                    field=models.CharField(blank=True, max_length=255, null=True, verbose_name="Correlation ID"),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="object_pk",
                    field=models.CharField(max_length=255, verbose_name="object pk"),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="project",
                    field=models.ForeignKey(
                        blank=True, db_constraint=False, db_index=False, null=True,
                        on_delete=models.deletion.DO_NOTHING, related_name="+", to="projects.project",
                        verbose_name="项目",
                    ),
                ),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(fields=["object_pk"], name="auditentry_object_pk"),
                ),
            ],
        ),
    ]
