from django.db import migrations

from projects.reference import DEADLINE_RULES


def load(apps, schema_editor):
    DeadlineRule = apps.get_model("milestones", "DeadlineRule")
    Unit = apps.get_model("projects", "Unit")
    for node_type, after, months, unit_name, use_platform in DEADLINE_RULES:
        DeadlineRule.objects.get_or_create(
            node_type=node_type,
            defaults={
                "after": after,
                "months": months,
                "default_unit": Unit.objects.filter(name=unit_name).first() if unit_name else None,
                "use_platform_unit": use_platform,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("milestones", "0001_initial"), ("projects", "0002_reference_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
