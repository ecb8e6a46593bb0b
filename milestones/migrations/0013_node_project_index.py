"""A node's project keeps no index of its own: the unique (project, node_type) serves every lookup by
project, the cascade's included, and each index is upkeep on every node written (issue 12: ~58,000 per
10,000-row import). Dropped by name: on SQLite, altering the field would rebuild the table."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "milestones_node_project_id_1a2780b9"  # Django's name for the foreign key's index


class Migration(migrations.Migration):
    dependencies = [
        ("milestones", "0012_fill_next_due"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {INDEX}",
                                  f"CREATE INDEX {INDEX} ON milestones_node (project_id)"),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="node",
                    name="project",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="nodes", to="projects.project"),
                ),
            ],
        ),
    ]
