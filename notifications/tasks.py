"""Celery tasks: each takes IDs or nothing, and calls one service (issue 3).

The periodic ones are scheduled in django-celery-beat (rows created by migration 0002, editable in
the admin); each also exists as a management command to run by hand.
"""

import datetime
import logging

from celery import shared_task
from django.db import transaction

from milestones.workdays import first_workday_of_week, is_workday
from projects.models import local_today

from . import services

logger = logging.getLogger(__name__)

# What an administrator reads in the schedule admin instead of the import path (issue 9).
TASK_LABELS = {
    "notifications.tasks.weekly_alert": "每周逾期预警（每周第一个工作日发送）",
    "notifications.tasks.send_reminders": "节点到期提醒（提前 N 个工作日）",
    "notifications.tasks.escalate_overdue": "逾期升级督办（节点转红灯时）",
    "notifications.tasks.remind_overdue_problems": "问题答复逾期提醒",
    "notifications.tasks.sweep_pending_notifications": "补发待发送消息",
    "notifications.tasks.deliver_notification": "发送单条消息",
    "notifications.tasks.weekly_alert_for": "每周逾期预警（单个接收方）",
    "notifications.tasks.projects_changed": "台账导入后的提醒与升级督办",
}


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_notification(self, notification_id: int):
    """Deliver one outbox row; on failure retry with exponential backoff (the row also carries
    its next attempt time, so the sweep retries it if this retry cannot be published)."""
    outcome = services.deliver(notification_id=notification_id)
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task
def sweep_pending_notifications():
    """Every few minutes: enqueue pending rows that were never handed to a broker or are due for
    another attempt, so a broker outage delays notifications but never loses them."""
    return services.sweep_pending()


@shared_task
def weekly_alert():
    """Runs daily at 09:00 Asia/Shanghai and sends only on the first working day of the week
    (section 6): a holiday Monday moves it to the next working day, a week without one gets none."""
    today = local_today()
    if first_workday_of_week(today) != today:
        logger.info("Weekly alert: %s is not the first working day of its week", today)
        return None
    return services.fan_out_weekly_alert(as_of=today)


@shared_task
def weekly_alert_for(as_of: str, recipient: str):
    """One recipient's weekly alert (services.fan_out_weekly_alert queues one per recipient)."""
    return services.weekly_alert(as_of=datetime.date.fromisoformat(as_of), recipient=recipient)["created"]


@shared_task
def send_reminders():
    """Daily: node reminders N working days ahead (section 6), on working days only."""
    today = local_today()
    if not is_workday(today):
        return None
    return services.send_reminders(as_of=today).created


@shared_task
def escalate_overdue():
    """Daily: nodes that turned red today go to their contact leader and the center (7a)."""
    return services.escalate_overdue(as_of=local_today()).created


@shared_task
def remind_overdue_problems():
    """Daily: problems past their reply-by date without a reply, to their unit (section 7)."""
    today = local_today()
    if not is_workday(today):
        return None
    return services.remind_overdue_problems(as_of=today).created


@shared_task(acks_late=True)
def projects_changed(project_ids: list[int]):
    """After a ledger import committed: reminders re-armed, red nodes escalated, stopped projects'
    messages cancelled (services.on_projects_changed). Idempotent (outbox keys, escalated_on), so a
    redelivered task sends nothing twice."""
    services.on_projects_changed(project_ids=project_ids)


def enqueue_projects_changed(project_ids: list[int]) -> None:
    """Called once the import's transaction has committed. When the broker cannot take the task,
    the work is done here instead (its outbox rows then wait for the sweep like any others): an
    import made during a broker outage loses none of its reminders and escalations."""
    try:
        projects_changed.delay(project_ids)
        return
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("Broker unavailable, the import's %d projects are notified in this process: %s",
                       len(project_ids), exc)
    try:
        with transaction.atomic():
            services.on_projects_changed(project_ids=project_ids)
    except Exception:
        # The import is committed; the daily reminder and escalation runs catch up on these projects.
        logger.exception("Notifying %d imported projects failed", len(project_ids))
