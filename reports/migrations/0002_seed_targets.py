"""Seed the 1330 goal (DOMAIN.md section 5): 40 亿元以上 and 1 10亿元以上 manufacturing projects a year
for 2025–2030, and the thresholds 1亿元 / 1,000万美元 and 10亿元 / 1亿美元 (amounts in 万)."""

from decimal import Decimal

from django.db import migrations

TARGET_YEARS = range(2025, 2031)
THRESHOLDS = [
    ("100m", "CNY", Decimal("10000")),
    ("100m", "USD", Decimal("1000")),
    ("1b", "CNY", Decimal("100000")),
    ("1b", "USD", Decimal("10000")),
]


def load(apps, schema_editor):
    YearTarget = apps.get_model("reports", "YearTarget")
    Threshold = apps.get_model("reports", "Threshold")
    for year in TARGET_YEARS:
        YearTarget.objects.get_or_create(year=year, defaults={"target_100m": 40, "target_1b": 1})
    for level, currency, amount in THRESHOLDS:
        Threshold.objects.get_or_create(level=level, currency=currency, defaults={"min_amount": amount})


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
