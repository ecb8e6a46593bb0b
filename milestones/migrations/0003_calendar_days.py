"""Seed the holiday calendar (DOMAIN.md section 6) from chinesecalendar for the years it knows.

Only the days that break the weekend rule are stored: statutory holidays falling on a weekday
(is_workday False) and adjusted working Saturdays/Sundays (调休上班, is_workday True). Rows that
already exist are left alone, so an administrator's edits survive a re-run.
"""

from django.db import migrations

# chinesecalendar's English holiday names, in Chinese for the admin.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarDay = apps.get_model("milestones", "CalendarDay")
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    rows = []
    for day, name in sorted(chinese_calendar.holidays.items()):
        if day.weekday() < 5 and day not in existing:
            rows.append(CalendarDay(date=day, is_workday=False, name=HOLIDAY_NAMES.get(name, name or "")))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if day.weekday() >= 5 and day not in existing:
            label = HOLIDAY_NAMES.get(name, name or "")
            rows.append(CalendarDay(date=day, is_workday=True, name=f"{label}调休上班" if label else "调休上班"))
    CalendarDay.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("milestones", "0002_deadline_rules")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
