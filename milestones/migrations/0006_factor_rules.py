"""The default responsible unit of each type of need (DOMAIN.md section 11), editable in the admin."""

from django.db import migrations

from projects.reference import FACTOR_RULES


def load(apps, schema_editor):
    FactorRule = apps.get_model("milestones", "FactorRule")
    Unit = apps.get_model("projects", "Unit")
    for factor_type, unit_name in FACTOR_RULES:
        FactorRule.objects.get_or_create(
            factor_type=factor_type, defaults={"default_unit": Unit.objects.filter(name=unit_name).first()}
        )


class Migration(migrations.Migration):
    dependencies = [("milestones", "0005_factor_needs"), ("projects", "0002_reference_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
