"""Issue 12: fill Project.next_due for existing projects, in one UPDATE: the earliest planned date
of the pending nodes that can be late (every node while signed … in_statistics, the 达产 node
alone while in_production; DOMAIN.md sections 4 and 10), NULL for the states without a light.
Written out here rather than imported, so that later changes to milestones.selectors cannot
change what this migration did."""

from django.db import migrations
from django.db.models import Case, DateField, OuterRef, Subquery, When

ACTIVE = ["signed", "land_acquired", "started", "in_statistics"]


def forward(apps, schema_editor):
    Node = apps.get_model("milestones", "Node")
    Project = apps.get_model("projects", "Project")
    pending = Node.objects.filter(project=OuterRef("pk"), actual_date__isnull=True, planned_date__isnull=False)

    def earliest(nodes):
        return Subquery(nodes.order_by("planned_date").values("planned_date")[:1])

    Project.objects.update(next_due=Case(
        When(status__in=ACTIVE, then=earliest(pending)),
        When(status="in_production", then=earliest(pending.filter(node_type="capacity"))),
        default=None,
        output_field=DateField(),
    ))


class Migration(migrations.Migration):
    dependencies = [
        ("milestones", "0011_value_constraints_after_capacity"),
        ("projects", "0011_next_due"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
