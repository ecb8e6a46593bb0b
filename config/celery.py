"""The Celery app (https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html).

Broker: Redis when REDIS_URL is set, else kombu's filesystem transport under var/broker (see
config/settings.py), so `make run` needs no server. Tasks take IDs and are enqueued with
transaction.on_commit; outbox rows a publish could not hand over are picked up by the sweep.

Periodic jobs live in django-celery-beat's tables (CELERY_BEAT_SCHEDULER = DatabaseScheduler) so an
administrator can change them in the admin (周期任务). They are created by the data migration
notifications/migrations/0002_defaults_and_schedules.py, all times Asia/Shanghai:
- notifications.tasks.weekly_alert             daily 09:00, sends on the first working day of the week
- notifications.tasks.send_reminders           daily 09:00, working days (10 and 3 working days ahead)
- notifications.tasks.remind_overdue_problems  daily 09:00, working days
- notifications.tasks.escalate_overdue         daily 09:00 (nodes that turned red)
- notifications.tasks.sweep_pending_notifications  every 5 minutes (the outbox sweep)
- milestones.tasks.open_factor_problems        daily 09:00 (needs that fell 逾期未保障 open a problem;
  created by milestones/migrations/0007_factor_problem_schedule.py)
Each job is also a management command: send_weekly_alert, send_reminders, remind_problems,
escalate_overdue, deliver_notifications, open_factor_problems.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shengzhou")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
