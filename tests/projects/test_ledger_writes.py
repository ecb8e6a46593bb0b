"""Issue 12: the ledger import writes a clean sheet in parts while it builds the next (projects.ledger
_build/_write), from bulk's writer thread on PostgreSQL; still all or nothing, every change on the
record, the foreign keys checked."""

import datetime
import json
import time
import uuid
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F, JSONField
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from milestones.models import Node
from projects import bulk, ledger
from projects.lookups import InArray
from projects.models import Project, Status, TransitionLog
from tests.conftest import uses_postgres
from tests.factories import LeaderFactory, PlatformFactory, ProjectFactory, UnitFactory
from tests.projects.test_ledger import (
    _today_is_25_november_2026,  # noqa: F401 (autouse: the ledger tests' day)
    base_row,
    nothing_written,
    run_import,
)

pytestmark = pytest.mark.django_db
D = datetime.date
postgres_only = pytest.mark.skipif(not uses_postgres(), reason="the writer thread is PostgreSQL's (set DATABASE_URL)")


@pytest.fixture
def parts_of_two(monkeypatch):
    """Parts of two rows: a five-row sheet is written in three parts."""
    monkeypatch.setattr(ledger, "PART_ROWS", 2)


@pytest.fixture
def notified(monkeypatch):
    projects = []
    monkeypatch.setattr(ledger, "_notify", projects.extend)
    return projects


def rows(count, **changes):
    return [base_row(项目编号=f"W{i:03d}", 实际供地日期="2026-04-01", **changes) for i in range(count)]


def test_a_sheet_written_in_parts_is_written_whole(tmp_path, parts_of_two, notified):
    result = run_import(tmp_path, rows(5))
    assert result.ok, result.errors
    assert Project.objects.count() == 5 and len(result.created) == 5
    assert Node.objects.filter(project__code__startswith="W").count() == 5 * Node.objects.filter(
        project__code="W000").count()
    assert TransitionLog.objects.count() == 5 * 3  # created, signed, land acquired
    # Every project once in the notification, whichever part it was written in.
    assert sorted(project.code for project in notified) == [f"W{i:03d}" for i in range(5)]
    # The audit: a record for each project and node, all at the import's one moment.
    assert AuditEntry.objects.filter(content_type__model="project").count() == 5
    assert AuditEntry.objects.filter(content_type__model="node").count() == Node.objects.count()
    assert AuditEntry.objects.values("timestamp").distinct().count() == 1


def test_a_bad_row_after_parts_were_written_rolls_everything_back(tmp_path, parts_of_two, notified):
    # The last row breaks a transition guard, found only while building (after two parts went out).
    bad = base_row(项目编号="W999", 实际供地日期="2026-06-01", 实际开工日期="2026-05-01")
    result = run_import(tmp_path, [*rows(5), bad])
    assert result.errors == ["第7行 实际开工日期: 开工日期 2026-05-01 不能早于上一节点日期 2026-06-01"]
    assert nothing_written() and not AuditEntry.objects.exists() and not notified


def test_a_code_repeated_in_a_later_part_is_only_a_repeated_code(tmp_path, parts_of_two, notified):
    """The row that repeats a code an earlier part created (and may have written) is refused for the
    repetition, and nothing of the earlier parts stays."""
    repeated = base_row(项目编号="W000", 实际供地日期=None, 签约日期="2026-02-01")
    result = run_import(tmp_path, [*rows(4), repeated])
    assert result.errors == ["第6行 项目编号: 项目编号「W000」与第2行重复"]
    assert nothing_written() and not notified


def test_a_dry_run_writes_no_part(tmp_path, parts_of_two):
    result = run_import(tmp_path, rows(5), dry_run=True)
    assert result.ok and len(result.created) == 5
    assert nothing_written() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("model", [Project, Node])
def test_a_new_object_is_what_the_constructor_makes(model):
    made, constructed = ledger._new(model), model()
    assert {k: v for k, v in made.__dict__.items() if k != "_state"} == {
        k: v for k, v in constructed.__dict__.items() if k != "_state"}
    assert made._state.adding and made._state.db is None
    # django-fsm's record of the initial state is the object's own, not shared.
    for name, value in made.__dict__.items():
        if isinstance(value, dict):
            assert value is not ledger._new(model).__dict__[name]


def test_the_projects_loaded_are_what_the_orm_loads():
    """_lock_existing reads rows and makes the instances itself: the same attributes as Django's, the
    related objects cached (no query per project), each node with its project cached."""
    unit, leader = UnitFactory(name="市经信局"), LeaderFactory(name="市长")
    platform = PlatformFactory(name="W-平台", unit=unit)
    project = ProjectFactory(code="W-LOAD", responsible_unit=unit, contact_leader=leader, platform=platform,
                             actual={"sign": D(2026, 1, 15)})
    ProjectFactory(code="W-OTHER")
    with transaction.atomic():
        refs = ledger._References()
        existing, nodes_of = ledger._lock_existing([(2, {"项目编号": "W-LOAD"})], refs)
    assert list(existing) == ["W-LOAD"]
    loaded, orm = existing["W-LOAD"], Project.objects.get(pk=project.pk)

    def attributes(obj):
        return {k: v for k, v in obj.__dict__.items() if k != "_state"}

    assert attributes(loaded) == attributes(orm)
    assert not loaded._state.adding and loaded._state.db == orm._state.db
    nodes = list(orm.nodes.all())
    assert [attributes(node) for node in nodes_of[project.pk]] == [attributes(node) for node in nodes]
    assert all(not node._state.adding and node._state.db == "default" for node in nodes_of[project.pk])
    with CaptureQueriesContext(connection) as queries:
        assert (loaded.platform, loaded.responsible_unit, loaded.contact_leader) == (platform, unit, leader)
        assert loaded.platform.unit == unit
        assert all(node.project is loaded for node in nodes_of[project.pk])
    assert not queries.captured_queries


def test_in_array_finds_what_in_finds():
    ProjectFactory(code="W-A"), ProjectFactory(code="W-B")
    for values in (["W-A", "W-C"], ["W-A", None, "W-B"], [], [None]):
        any_of = Project.objects.filter(InArray(F("code"), values))
        assert sorted(any_of.values_list("code", flat=True)) == sorted(
            Project.objects.filter(code__in=values).values_list("code", flat=True))


@pytest.mark.parametrize("value", [
    {"name": [None, "嵊州\"项目\"\n第二行"], "amount": ["1.5000", "2"], "ok": [True, False], "n": [1, -(2 ** 62)]},
    {"at": datetime.datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=datetime.UTC), "day": datetime.date(2026, 1, 2),
     "time": datetime.time(8, 30, 1, 500), "money": Decimal("20000.0000"), "status": Status.SIGNED,
     "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"), "spent": datetime.timedelta(days=2)},
    {1: "a key that is not text", "big": 2 ** 70},
    [1.5, 0.1, 1e-7, 12345678901234567890.0, "x", None],
    {},
])
@pytest.mark.parametrize("encoder", [None, DjangoJSONEncoder])
def test_json_is_encoded_as_django_encodes_it(value, encoder):
    field = JSONField(encoder=encoder)
    try:
        expected = json.loads(json.dumps(value, cls=encoder))
    except TypeError:  # what the field's encoder cannot write stays refused
        with pytest.raises(TypeError):
            bulk._encode(field, value)
        return
    assert json.loads(bulk._encode(field, value)) == expected


# --- the writer thread (PostgreSQL) ---------------------------------------------------------------


@postgres_only
def test_the_ids_taken_ahead_are_the_ones_written(tmp_path, parts_of_two, monkeypatch):
    """The new projects' and nodes' ids are taken before the writer starts, as many as they need
    (a node per step, the land's only where new land is needed): all given out, in order."""
    taken = []
    ids_ahead = ledger._ids_ahead
    monkeypatch.setattr(ledger, "_ids_ahead", lambda rows, existing: taken.append(ids_ahead(rows, existing)) or taken[-1])
    ProjectFactory(code="W-OLD")
    sheet = [*rows(3), base_row(项目编号="W-NOLAND", 是否需新供地="否", **{"用地面积（亩）": None}),
             base_row(项目编号="W-LEAD", 状态="在谈", 签约日期="2027-01-01"), base_row(项目编号="W-OLD", 签约日期="2026-01-15")]
    result = run_import(tmp_path, sheet)
    assert result.ok, result.errors
    assert len(result.created) == 5 and result.updated + result.unchanged == ["W-OLD"]
    ids = taken[0]
    assert ids._free == {Project: [], Node: []}  # every id taken was given out
    new = Project.objects.exclude(code="W-OLD")
    assert Node.objects.filter(project__in=new).count() == 4 * 6 + 5
    # Given out in the order taken: the projects numbered in the sheet's order.
    assert list(new.order_by("pk").values_list("code", flat=True)) == ["W000", "W001", "W002", "W-NOLAND", "W-LEAD"]


@postgres_only
def test_a_foreign_key_broken_in_the_writer_is_djangos_integrity_error():
    node = Node(project_id=987654321, node_type="land")
    with pytest.raises(IntegrityError), transaction.atomic():
        with bulk.writer([Node]) as writer:
            bulk.insert(Node, [node], writer=writer)


@postgres_only
def test_foreign_keys_are_deferred_again_after_the_writer():
    with transaction.atomic():
        with bulk.writer([Project, Node]) as writer:
            bulk.insert(Project, [Project(code="W-DEFER", name="x", investor="y")], writer=writer)
        missing = Project.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
        with connection.cursor() as cursor:
            # Deferred as before the writer: a row may point at its parent before the parent exists.
            cursor.execute("INSERT INTO milestones_node (project_id, node_type, planned_is_agreed) "
                           "VALUES (%s, 'land', false)", [missing])
        transaction.set_rollback(True)


@postgres_only
def test_a_writers_statements_mark_the_cached_data_changed_once_per_model(monkeypatch):
    marked = []
    monkeypatch.setattr(bulk.cache, "written", marked.append)
    with transaction.atomic():
        with bulk.writer([Project]) as writer:
            first = Project(code="W-C1", name="x", investor="y")
            bulk.insert(Project, [first], writer=writer)
            bulk.insert(Project, [Project(code="W-C2", name="x", investor="y")], writer=writer)
            first.name = "z"
            bulk.update(Project, [first], ["name"], writer=writer)
        assert marked == [Project]
        bulk.insert(Project, [Project(code="W-C3", name="x", investor="y")])  # no writer: each time
        assert marked == [Project, Project]
        transaction.set_rollback(True)


@postgres_only
def test_a_failure_of_the_caller_skips_what_the_writer_has_not_sent():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with bulk.writer([Project]) as writer:
            writer.abandon()
            bulk.insert(Project, [Project(code="W-SKIP", name="x", investor="y")], writer=writer)
            1 / 0
    assert not Project.objects.filter(code="W-SKIP").exists()


@postgres_only
def test_a_query_after_the_writer_failed_shows_the_writers_error():
    # PostgreSQL refuses every statement after the writer's failed one; the caller's query then
    # fails too, but the error raised is the writer's (the one that says what was wrong).
    node = Node(project_id=987654321, node_type="land")
    with pytest.raises(IntegrityError), transaction.atomic():
        with bulk.writer([Node]) as writer:
            bulk.insert(Node, [node], writer=writer)
            for _ in range(1000):  # until the writer's insert has failed (10 s at most)
                if writer.error is not None:
                    break
                time.sleep(0.01)
            assert writer.error is not None
            Project.objects.count()
