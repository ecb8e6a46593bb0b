"""Issue 2 item 7: `load_demo` — a realistic 嵊州 sample in every state, one login per role."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from milestones.selectors import overdue_nodes
from projects.models import (
    SIX_CLUSTERS,
    Cluster,
    Currency,
    Instruction,
    Leader,
    Problem,
    ProblemStatus,
    ProgressNote,
    Project,
    Role,
    Status,
    TransitionLog,
)

pytestmark = pytest.mark.django_db


def frozen(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                               tick=False)


@pytest.fixture(autouse=True)
def _today_is_25_november_2026():
    with frozen(datetime.date(2026, 11, 25)):
        yield


def load(*args):
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@override_settings(DEBUG=False)
def test_it_refuses_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG"):
        load()
    assert Project.objects.count() == 0


@override_settings(DEBUG=True)
def test_it_loads_about_sixty_projects_in_every_state_and_cluster():
    output = load()
    assert 55 <= Project.objects.count() <= 65
    assert set(Project.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Project.objects.values_list("cluster", flat=True)) >= {*SIX_CLUSTERS, Cluster.AEROSPACE_INFO,
                                                                       Cluster.SYNTHETIC_BIO, Cluster.FUTURE_MEDICINE,
                                                                       Cluster.HYDROGEN_STORAGE}
    years = set(Project.objects.exclude(signing_date=None).values_list("signing_date__year", flat=True))
    assert years == {2024, 2025, 2026}
    assert Project.objects.filter(currency=Currency.USD).exists()
    assert Project.objects.filter(currency=Currency.CNY, total_investment__gte=100000).exists()  # >= 10亿元
    assert "已加载" in output and "Demo@2026sz" in output


@override_settings(DEBUG=True)
def test_states_come_from_transitions_not_from_writing_status():
    """Section 2: every state is reached through recorded transitions."""
    load()
    for project in Project.objects.prefetch_related("history"):
        logs = list(project.history.all())
        assert logs[-1].target_state == project.status, project.code
    assert TransitionLog.objects.filter(transition="suspend").count() == Project.objects.filter(
        status=Status.SUSPENDED).count()


@override_settings(DEBUG=True)
def test_some_nodes_are_overdue_red_and_yellow_and_some_projects_suspended_in_the_past():
    load()
    today = datetime.date(2026, 11, 25)
    lights = {node.light for node in overdue_nodes(as_of=today)}
    assert lights == {"red", "yellow"}
    suspended = Project.objects.filter(status=Status.SUSPENDED)
    assert suspended.count() >= 2 and all(p.suspended_on < today for p in suspended)


@override_settings(DEBUG=True)
def test_problems_some_overdue_for_reply_with_leader_instructions_and_notes():
    load()
    today = datetime.date(2026, 11, 25)
    assert Problem.objects.filter(status=ProblemStatus.OPEN, reply_by__lt=today).exists()
    assert Problem.objects.filter(status=ProblemStatus.RESOLVED).exists()
    assert Instruction.objects.filter(leader__name="常务副市长").exists()
    assert ProgressNote.objects.count() >= 5


@override_settings(DEBUG=True)
def test_one_login_per_role_with_the_demo_password():
    load()
    User = get_user_model()
    expected = {"center": (Role.CENTER, "市招商投资中心"), "leader": (Role.LEADER, None), "unit": (Role.UNIT, "市经信局"),
                "admin": (Role.ADMIN, None)}
    for username, (role, unit) in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password("Demo@2026sz")
        assert user.profile.role == role
        assert (user.profile.unit.name if user.profile.unit else None) == unit
    assert User.objects.get(username="admin").is_superuser
    assert Leader.objects.get(name="常务副市长").user.username == "leader"


@override_settings(DEBUG=True)
def test_running_it_twice_does_not_duplicate():
    load()
    counts = (Project.objects.count(), Problem.objects.count(), TransitionLog.objects.count(),
              get_user_model().objects.count(), Leader.objects.count())
    output = load()
    assert "未重复加载" in output
    assert (Project.objects.count(), Problem.objects.count(), TransitionLog.objects.count(),
            get_user_model().objects.count(), Leader.objects.count()) == counts


def test_force_loads_with_debug_off():
    load("--force")
    assert Project.objects.exists()


@pytest.mark.parametrize("day", [datetime.date(2027, 3, 2), datetime.date(2028, 1, 1)])
def test_overdue_stays_true_whenever_it_is_loaded(day):
    """The data is built relative to today, so a demo loaded next year still has late projects."""
    with frozen(day):
        load("--force")
        assert overdue_nodes(as_of=day).exists()
        assert set(Project.objects.values_list("status", flat=True)) == set(Status.values)


def test_the_demo_password_passes_the_products_own_password_rules():
    """Issue 8 section 3: the password the README hands out is one the product itself would accept
    (length 10, a mix of character classes, not the user name)."""
    from django.contrib.auth.password_validation import validate_password

    from projects.demo import DEMO_PASSWORD

    for username in ("center", "leader", "unit", "admin"):
        validate_password(DEMO_PASSWORD, user=get_user_model()(username=username))

