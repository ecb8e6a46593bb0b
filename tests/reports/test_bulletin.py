"""The weekly bulletin's numbers (issue 4; DOMAIN.md sections 4 and 7), worked out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Problem, ProblemStatus, Status
from reports.selectors import bulletin_data, bulletin_week, leader_report_data
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory

D = datetime.date
AS_OF = D(2026, 6, 29)  # Monday


def problem(project, unit, raised_on, *, reply_by=None, replied_on=None, status=ProblemStatus.OPEN):
    item = ProblemFactory(project=project, assigned_unit=unit, raised_on=raised_on)
    Problem.objects.filter(pk=item.pk).update(
        reply_by=reply_by or raised_on + datetime.timedelta(days=7), replied_on=replied_on, status=status
    )
    return item


@pytest.fixture
def week(db):
    a, b, c = UnitFactory(name="甲单位"), UnitFactory(name="乙单位"), UnitFactory(name="丙单位")
    host = ProjectFactory(code="H01", responsible_unit=a, signing_date=D(2026, 1, 10))
    # Signings: the 7 days ending on the as-of date are 23–29 June.
    ProjectFactory(code="W-OUT", signing_date=D(2026, 6, 22), responsible_unit=a)
    ProjectFactory(code="W-FIRST", signing_date=D(2026, 6, 23), responsible_unit=a,
                   total_investment=Decimal("100000"))
    ProjectFactory(code="W-LAST", signing_date=D(2026, 6, 29), responsible_unit=a, total_investment=Decimal("500"))
    ProjectFactory(code="W-SERVICE", signing_date=D(2026, 6, 24), responsible_unit=a, is_manufacturing=False)
    # A node completed this week, after its planned date.
    ProjectFactory(code="N01", signing_date=D(2025, 10, 1), responsible_unit=b, status=Status.LAND_ACQUIRED,
                   planned={"land": D(2026, 6, 1)}, actual={"land": D(2026, 6, 26)})
    # Problems. 甲: one answered on time, one answered late, one not yet due.
    problem(host, a, D(2026, 6, 1), replied_on=D(2026, 6, 5), status=ProblemStatus.REPLIED)
    problem(host, a, D(2026, 6, 10), replied_on=D(2026, 6, 20), status=ProblemStatus.REPLIED)
    problem(host, a, D(2026, 6, 25))
    # 乙: one overdue without a reply (28 days old: also an open problem older than 14 days).
    problem(host, b, D(2026, 6, 1))
    # 丙: raised exactly 14 days ago, reply-by extended: neither overdue nor older than 14 days;
    # and one raised 15 days ago, resolved on time without a written reply.
    problem(host, c, D(2026, 6, 15), reply_by=D(2026, 7, 15))
    problem(host, c, D(2026, 6, 14), reply_by=D(2026, 7, 15))
    resolved = problem(host, c, D(2026, 6, 2), status=ProblemStatus.RESOLVED)
    Problem.objects.filter(pk=resolved.pk).update(resolved_on=D(2026, 6, 6))
    ProjectFactory(code="S01", status=Status.SUSPENDED, suspended_from=Status.SIGNED, suspended_on=D(2026, 5, 30),
                   status_reason="资金未到位", responsible_unit=b)
    return a, b, c


def test_the_week_is_the_7_days_ending_on_the_as_of_date():
    assert bulletin_week(AS_OF) == (D(2026, 6, 23), AS_OF)


def test_new_signings_are_those_of_the_week(week):
    data = bulletin_data(as_of=AS_OF)
    signings = {item["code"]: item for item in data["new_signings"]}
    assert list(signings) == ["W-FIRST", "W-SERVICE", "W-LAST"]
    assert signings["W-FIRST"]["is_100m"] and signings["W-FIRST"]["is_1b"]
    assert not signings["W-SERVICE"]["is_100m"]  # not manufacturing
    assert not signings["W-LAST"]["is_100m"]  # 500万元
    assert data["issue"] == 27


def test_node_completions_of_the_week(week):
    completions = bulletin_data(as_of=AS_OF)["node_completions"]
    assert [(c["code"], c["node"], c["on_time"]) for c in completions] == [("N01", "供地", False)]


def test_units_are_ranked_by_problems_replied_on_time(week):
    """Section 7: 丙's only due problem was resolved on time (1 of 1); 甲 1 of 2; 乙 0 of 1."""
    ranking = bulletin_data(as_of=AS_OF)["problem_ranking"]
    assert [(r["rank"], r["unit"], r["assigned"], r["due"], r["on_time"], r["overdue"], r["on_time_rate"])
            for r in ranking] == [
        (1, "丙单位", 3, 1, 1, 0, 1.0),
        (2, "甲单位", 3, 2, 1, 0, 0.5),
        (3, "乙单位", 1, 1, 0, 1, 0.0),
    ]


def test_overdue_replies_and_open_problems_older_than_14_days(week):
    """Section 7: past reply-by without a reply; open (not resolved: 甲's replied ones still
    block their project) and raised more than 14 days ago."""
    data = bulletin_data(as_of=AS_OF)
    assert [(p["unit"], p["raised_on"], p["overdue_days"]) for p in data["overdue_replies"]] == [
        ("乙单位", D(2026, 6, 1), 21),
    ]
    assert [(p["unit"], p["raised_on"]) for p in data["stale_problems"]] == [
        ("甲单位", D(2026, 6, 1)), ("乙单位", D(2026, 6, 1)), ("甲单位", D(2026, 6, 10)), ("丙单位", D(2026, 6, 14)),
    ]


def test_suspended_projects_with_days_suspended(week):
    suspended = bulletin_data(as_of=AS_OF)["suspended"]
    assert [(s["code"], s["suspended_days"], s["reason"]) for s in suspended] == [("S01", 30, "资金未到位")]


def test_lights_by_unit_rank_the_worst_first(week):
    """The 晾晒 table (light_counts_by_unit of milestones): most red, then yellow, then overdue nodes first."""
    rows = bulletin_data(as_of=AS_OF)["lights_by_unit"]
    keys = [(r["red"], r["yellow"], r["overdue_nodes"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert rows[0]["rank"] == 1


def _queries(n):
    for i in range(n):
        ProjectFactory(code=f"QB{n}-{i}", signing_date=D(2026, 6, 24), status=Status.SIGNED)
        ProjectFactory(code=f"QL{n}-{i}", signing_date=D(2025, 6, 1), status=Status.SIGNED)
    with CaptureQueriesContext(connection) as captured:
        bulletin_data(as_of=AS_OF)
    return len(captured)


def test_bulletin_query_count_does_not_grow(db):
    assert _queries(3) == _queries(30)


def _leader_queries(leader, n):
    unit = UnitFactory(name=f"责任单位{n}")
    for i in range(n):
        project = ProjectFactory(code=f"LR{n}-{i}", signing_date=D(2025, 6, 1), status=Status.SIGNED,
                                 contact_leader=leader, responsible_unit=unit)
        problem(project, unit, D(2026, 6, 1))
    with CaptureQueriesContext(connection) as captured:
        leader_report_data(leader=leader, as_of=AS_OF)
    return len(captured)


def test_leader_report_query_count_does_not_grow(db):
    """Common rules: the leader report's queries do not grow with the number of contact projects."""
    leader = LeaderFactory(name="测试副市长")
    assert _leader_queries(leader, 3) == _leader_queries(leader, 30)
