"""Bring node dates and deadline rules stored before issue 8 within the constraints of the next
migration (docs/DOMAIN.md section 12): a date outside the window is cleared (a derived planned date
is derived again by the next change of the project), an over-long duration is cut to ten years."""

import datetime

from django.db import migrations
from django.db.models import Q

DATE_MIN, DATE_MAX, NODE_DATE_MAX = datetime.date(1990, 1, 1), datetime.date(2100, 12, 31), datetime.date(2200, 12, 31)


def repair(apps, schema_editor):
    Node = apps.get_model("milestones", "Node")
    DeadlineRule = apps.get_model("milestones", "DeadlineRule")
    fixed = DeadlineRule.objects.filter(months__gt=120).update(months=120)
    fixed += Node.objects.filter(Q(planned_date__lt=DATE_MIN) | Q(planned_date__gt=NODE_DATE_MAX)).update(
        planned_date=None, planned_is_agreed=False)
    fixed += Node.objects.filter(Q(actual_date__lt=DATE_MIN) | Q(actual_date__gt=DATE_MAX)).update(actual_date=None)
    if fixed:
        print(f"\n  repaired {fixed} node or deadline-rule rows")


class Migration(migrations.Migration):
    dependencies = [("milestones", "0007_factor_problem_schedule"), ("projects", "0006_repair_values")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
