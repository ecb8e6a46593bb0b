"""DOMAIN.md section 2 / issue 2: two concurrent transitions on one project must not both win.

Runs on PostgreSQL, where the row lock is real (SQLite serialises writers anyway)."""

import datetime
import threading

import pytest
from django.db import connection

from projects.models import Project, Status
from projects.services import TransitionConflict, TransitionRefused, project_transition
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_concurrent_transitions_on_one_project_do_not_both_win():
    project = ProjectFactory(signing_date=datetime.date(2026, 1, 15))
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(name, **kwargs):
        try:
            stale = Project.objects.get(pk=project.pk)  # both read "signed" before either writes
            barrier.wait()
            project_transition(project=stale, name=name, effective_date=datetime.date(2026, 2, 1),
                               expected_status=stale.status, **kwargs)
            outcomes.append("won")
        except (TransitionRefused, TransitionConflict) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=("acquire_land",)),
               threading.Thread(target=attempt, args=("terminate",), kwargs={"reason": "投资方撤资"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["TransitionConflict", "won"]
    project.refresh_from_db()
    assert project.status in (Status.LAND_ACQUIRED, Status.TERMINATED)
    assert project.history.exclude(transition="create").count() == 1
