"""Celery tasks write as the `task` channel, with no actor (issue 8 §2). prerun and postrun run in
the task's own thread and context, also for eager tasks inside a request, whose channel comes back
after the task."""

from celery.signals import task_postrun, task_prerun

from .context import AuditContext, Channel, _current

_tokens = {}


@task_prerun.connect
def _enter_task_channel(task_id=None, **kwargs):
    _tokens[task_id] = _current.set(AuditContext(channel=Channel.TASK))


@task_postrun.connect
def _leave_task_channel(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)
