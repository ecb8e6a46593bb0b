"""A history row's project keeps no index of its own: (project, -id) serves every lookup by project,
and each index is upkeep on every row written (issue 12: ~37,000 per 10,000-row import). Dropped by
name: on SQLite, altering the field would rebuild the table."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "projects_transitionlog_project_id_81172af6"  # Django's name for the foreign key's index


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0012_list_order"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {INDEX}",
                                  f"CREATE INDEX {INDEX} ON projects_transitionlog (project_id)"),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="transitionlog",
                    name="project",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="history", to="projects.project"),
                ),
            ],
        ),
    ]
