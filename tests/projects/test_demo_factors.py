"""Issue 11 part 4: the demo data carries 要素保障 needs in every status (DOMAIN.md section 11)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from milestones.factor_selectors import FactorStatus, annotate_needs
from milestones.models import FactorNeed
from projects.demo import load_demo
from projects.models import Problem

pytestmark = pytest.mark.django_db


def test_the_demo_has_needs_in_every_status_and_problems_for_the_overdue_ones():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        load_demo()
        needs = list(annotate_needs(FactorNeed.objects.select_related("project"), as_of=datetime.date(2026, 11, 25)))
    statuses = {n.status for n in needs}
    assert statuses == {FactorStatus.SECURED, FactorStatus.AT_RISK, FactorStatus.OVERDUE, FactorStatus.OPEN,
                        FactorStatus.INACTIVE}
    exact = next(n for n in needs if n.project.name == "越医堂医用敷料项目")
    assert exact.secured == exact.needed and exact.status == FactorStatus.SECURED
    overdue = [n for n in needs if n.status == FactorStatus.OVERDUE]
    assert all(n.problem_id for n in overdue)
    assert Problem.objects.filter(description__contains="要素逾期未保障").count() == len(overdue)
