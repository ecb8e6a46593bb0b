"""Default reminder offsets (10 and 3 working days, section 6) and the periodic jobs, stored in
django-celery-beat so an administrator can change them in the admin (周期任务).

When each runs (Asia/Shanghai):
- 每周逾期预警: daily 09:00; the task itself sends only on the first working day of the week.
- 节点到期提醒, 问题答复逾期提醒: daily 09:00, working days only.
- 逾期升级督办: daily 09:00 (a node turns red by the passing of a day; edits escalate at once).
- 补发待发送消息: every 5 minutes (the outbox sweep).
Existing rows with the same names are left as the administrator set them.
"""

from django.db import migrations

DAILY_0900 = [
    ("每周逾期预警", "notifications.tasks.weekly_alert"),
    ("节点到期提醒", "notifications.tasks.send_reminders"),
    ("问题答复逾期提醒", "notifications.tasks.remind_overdue_problems"),
    ("逾期升级督办", "notifications.tasks.escalate_overdue"),
]
SWEEP = ("补发待发送消息", "notifications.tasks.sweep_pending_notifications")


def create(apps, schema_editor):
    ReminderOffset = apps.get_model("notifications", "ReminderOffset")
    for n in (10, 3):
        ReminderOffset.objects.get_or_create(working_days=n)

    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="9", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    for name, task in DAILY_0900:
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": daily})
    every5, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(name=SWEEP[0], defaults={"task": SWEEP[1], "interval": every5})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _ in DAILY_0900] + [SWEEP[0]]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
