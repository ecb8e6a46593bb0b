from django.db import migrations

from projects.reference import INVESTMENT_CENTER, PLATFORMS, UNITS


def load(apps, schema_editor):
    Unit = apps.get_model("projects", "Unit")
    Platform = apps.get_model("projects", "Platform")
    for order, name in enumerate(UNITS):
        Unit.objects.get_or_create(
            name=name, defaults={"sort_order": order, "is_investment_center": name == INVESTMENT_CENTER}
        )
    for name, unit_name in PLATFORMS.items():
        unit = Unit.objects.get(name=unit_name) if unit_name else None
        Platform.objects.get_or_create(name=name, defaults={"unit": unit})


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
