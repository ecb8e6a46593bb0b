"""The deal's changes (projects.signals) turned into the outbox's rows: in the change's transaction,
except a ledger import's, which is a task queued when the import commits."""

from django.db import transaction
from django.dispatch import receiver

from projects import signals

from . import services, tasks


@receiver(signals.project_changed)
def _project_changed(sender, *, project, **kwargs):
    services.on_project_changed(project=project)


@receiver(signals.projects_changed)
def _projects_changed(sender, *, project_ids, **kwargs):
    # A ledger import: thousands of projects' reminders and escalations are a task after the commit,
    # not seconds inside the import's transaction (issue 12: 29% of a 10,000-row import).
    ids = list(project_ids)
    transaction.on_commit(lambda: tasks.enqueue_projects_changed(ids))


@receiver(signals.problem_assigned)
def _problem_assigned(sender, *, problem, by_unit_id=None, **kwargs):
    services.problem_assigned(problem=problem, by_unit_id=by_unit_id)


@receiver(signals.problem_replied)
def _problem_replied(sender, *, problem, reply_key, text, unit_name="", **kwargs):
    services.problem_replied(problem=problem, reply_key=reply_key, text=text, unit_name=unit_name)


@receiver(signals.problem_instructed)
def _problem_instructed(sender, *, instruction, **kwargs):
    services.problem_instructed(instruction=instruction)


@receiver(signals.problem_resolved)
def _problem_resolved(sender, *, problem, **kwargs):
    services.problem_resolved(problem=problem)
