"""The deal's changes (projects.signals) turned into the outbox's rows, in the change's transaction."""

from django.dispatch import receiver

from projects import signals

from . import services


@receiver(signals.project_changed)
def _project_changed(sender, *, project, **kwargs):
    services.on_project_changed(project=project)


@receiver(signals.projects_changed)
def _projects_changed(sender, *, project_ids, **kwargs):
    services.on_projects_changed(project_ids=project_ids)


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
