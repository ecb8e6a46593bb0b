"""Celery tasks of the milestones app (scheduled in django-celery-beat by migration 0007)."""

from celery import shared_task

from projects.models import local_today

from .factor_services import open_overdue_problems


@shared_task
def open_factor_problems():
    """Daily: needs that fell 逾期未保障 overnight open their problem (DOMAIN.md section 11); a need
    made overdue by an edit opens it at once, in the edit's transaction."""
    return len(open_overdue_problems(as_of=local_today()))
