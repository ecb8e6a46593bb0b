"""Section 10: the 达产 rule (24 months after 投产, 市经信局) and a 达产 node for every existing project,
its planned date derived from the production node's actual date, else its planned date."""

from django.db import migrations

from milestones.dates import add_months

MONTHS = 24
UNIT = "市经信局"


def forward(apps, schema_editor):
    DeadlineRule = apps.get_model("milestones", "DeadlineRule")
    Node = apps.get_model("milestones", "Node")
    Unit = apps.get_model("projects", "Unit")
    rule, _ = DeadlineRule.objects.get_or_create(
        node_type="capacity",
        defaults={"after": "production", "months": MONTHS, "default_unit": Unit.objects.filter(name=UNIT).first()},
    )
    have = set(Node.objects.filter(node_type="capacity").values_list("project_id", flat=True))
    production = Node.objects.filter(node_type="production").exclude(project_id__in=have).values_list(
        "project_id", "actual_date", "planned_date", "project__responsible_unit_id"
    )
    new = []
    for project_id, actual, planned, project_unit in production.iterator():
        base = actual or planned
        new.append(Node(
            project_id=project_id, node_type="capacity",
            planned_date=add_months(base, rule.months) if base else None,
            responsible_unit_id=rule.default_unit_id or project_unit,
        ))
    Node.objects.bulk_create(new, batch_size=2000)


def backward(apps, schema_editor):
    apps.get_model("milestones", "Node").objects.filter(node_type="capacity").delete()
    apps.get_model("milestones", "DeadlineRule").objects.filter(node_type="capacity").delete()


class Migration(migrations.Migration):
    dependencies = [("milestones", "0005_capacity"), ("projects", "0003_capacity")]
    operations = [migrations.RunPython(forward, backward)]
