"""Issue 12: aggregates over the project data are cached until the data change (projects.cache).
Every way the data can change retires them: a save, a delete, a queryset update, a bulk write,
the ledger's COPY, a reports' target; and a read that races a transaction cannot keep the old
numbers past its commit."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.functions import Length
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from milestones.models import Node
from milestones.selectors import light_counts
from projects import bulk
from projects.cache import CachedCountPaginator, cached, cached_count, data_changed, data_version, query_key
from projects.models import Project, Status
from reports.models import YearTarget
from tests.factories import ProjectFactory, UnitFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 30)


def counted():
    return cached("test-count", [], Project.objects.count)


def test_a_cached_aggregate_is_read_once_until_the_data_change():
    ProjectFactory(code="C1")
    assert counted() == 1
    with CaptureQueriesContext(connection) as queries:
        assert counted() == 1
    assert len(queries) == 0


@pytest.mark.parametrize("change", ["save", "create", "delete", "queryset_update", "queryset_delete", "bulk_create",
                                    "bulk_update", "node_update", "copy_insert", "copy_update", "target"])
def test_every_kind_of_write_retires_the_cached_aggregates(change):
    project = ProjectFactory(code="C1", total_investment=Decimal("20000"))
    before = data_version()
    counted()
    if change == "save":
        project.name = "改名"
        project.save()
    elif change == "create":
        ProjectFactory(code="C2")
    elif change == "delete":
        ProjectFactory(code="C2").delete()
    elif change == "queryset_update":
        Project.objects.filter(pk=project.pk).update(total_investment=Decimal("30000"))
    elif change == "queryset_delete":
        Node.objects.filter(project=project).delete()
    elif change == "bulk_create":
        Project.objects.bulk_create([Project(code="C3", name="三", status=Status.NEGOTIATING)])
    elif change == "bulk_update":
        project.name = "改名"
        Project.objects.bulk_update([project], ["name"])
    elif change == "node_update":
        Node.objects.filter(project=project).update(planned_date=datetime.date(2026, 1, 1))
    elif change == "copy_insert":
        bulk.insert(Project, [Project(code="C4", name="四", status=Status.NEGOTIATING)])
    elif change == "copy_update":
        project.name = "改名"
        bulk.update(Project, [project], ["name"])
    elif change == "target":
        YearTarget.objects.update_or_create(year=2030, defaults={"target_100m": 41, "target_1b": 2})
    assert data_version() != before
    assert counted() == Project.objects.count()


def test_a_read_racing_a_transaction_cannot_keep_its_numbers_past_the_commit(django_capture_on_commit_callbacks):
    """The version moves at the write and again at the commit: numbers another process stored under
    the first new version (read before the commit) are not served after it."""
    with django_capture_on_commit_callbacks(execute=True):
        data_changed()
        at_write = data_version()
        cache.set(f"agg:{at_write}:test-count:", 999)  # what a racing reader could have stored
    assert data_version() != at_write
    assert counted() == 0


def test_the_cache_is_keyed_by_what_the_result_depends_on():
    unit = UnitFactory(name="甲单位")
    ProjectFactory(code="C1", responsible_unit=unit, planned={"land": datetime.date(2026, 5, 1)})
    ProjectFactory(code="C2")
    everything, unit_only = Project.objects.all(), Project.objects.filter(responsible_unit=unit)
    assert query_key(everything) != query_key(unit_only)
    assert cached_count(everything) == 2 and cached_count(unit_only) == 1
    red = cached("lights", [AS_OF, query_key(everything)], lambda: light_counts(as_of=AS_OF, projects=everything))
    later = AS_OF + datetime.timedelta(days=60)
    red_later = cached("lights", [later, query_key(everything)], lambda: light_counts(as_of=later, projects=everything))
    assert red != red_later


def test_the_paginator_counts_once_per_version():
    for i in range(3):
        ProjectFactory(code=f"C{i}")
    assert CachedCountPaginator(Project.objects.order_by("code"), 2).count == 3
    with CaptureQueriesContext(connection) as queries:
        page = CachedCountPaginator(Project.objects.order_by("code"), 2).page(2)
    assert [p.code for p in page] == ["C2"] and page.paginator.num_pages == 2
    assert not any("COUNT" in q["sql"] for q in queries)


class BrokenCache:
    """A cache whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def close(self, **kwargs):
        pass

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache server unreachable")

        return fail


@override_settings(CACHES={"default": {"BACKEND": "tests.projects.test_cache.BrokenCache"}})
def test_without_a_cache_the_aggregates_are_computed_and_writes_still_succeed(caplog):
    ProjectFactory(code="C1")
    assert counted() == 1
    Project.objects.filter(code="C1").update(name="改名")  # sets a new version: must not fail the write
    assert counted() == 1
    assert "cache unavailable" in caplog.text


def test_a_far_page_read_by_its_ids_first_is_the_same_page(monkeypatch):
    """The deferred join (ids first, then the rows) gives each page exactly what slicing gives."""
    for i in range(7):
        ProjectFactory(code=f"C{i}", signing_date=datetime.date(2026, 1, 1 + i % 3))
    monkeypatch.setattr(CachedCountPaginator, "DEFERRED_FROM", 1)
    listed = Project.objects.order_by("-signing_date", "code")
    plain = [p.code for p in listed]
    for per_page, orphans in [(2, 0), (3, 1), (5, 2)]:
        paginator = CachedCountPaginator(listed, per_page, orphans=orphans)
        pages = [[p.code for p in paginator.page(n)] for n in paginator.page_range]
        assert sum(pages, []) == plain, (per_page, orphans)
    # A filtered list, through a join that repeats projects (their nodes), and annotated: the rows
    # read by id carry the annotation, each once.
    filtered = (Project.objects.filter(nodes__node_type__in=["sign", "land"], code__gt="C1").distinct()
                .annotate(code_length=Length("code")).order_by("-signing_date", "code"))
    plain = [(p.code, p.code_length) for p in filtered]
    assert plain and len(plain) < 7
    paginator = CachedCountPaginator(filtered, 2)
    assert sum([[(p.code, p.code_length) for p in paginator.page(n)] for n in paginator.page_range], []) == plain


def test_a_migration_or_a_restore_retires_the_cached_aggregates():
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from config.backup import restore, restored

    reports = apps.get_app_config("reports")
    for send in (lambda: post_migrate.send(sender=reports, app_config=reports, verbosity=0, interactive=False,
                                           using="default", apps=apps, plan=[]),
                 lambda: restored.send(sender=restore)):
        before = data_version()
        send()
        assert data_version() != before


def test_a_request_reads_the_version_once_and_sees_its_own_writes(monkeypatch):
    """A page asks for many cached aggregates: inside one request the version is read from the
    cache once; a write in the request is seen at once; outside a request every read asks."""
    from projects import cache as project_cache

    data_version()  # a version in the cache, as in a running system
    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: reads.append(key) or real_get(key, *args))
    # The receivers themselves: sending request_finished would also run Django's
    # close_old_connections, which closes the test's connection on PostgreSQL.
    project_cache._request_started()
    try:
        first = data_version()
        assert data_version() == first and reads.count("project-data:version") == 1
        ProjectFactory(code="C1")  # a write: a new version, read again
        assert data_version() != first
        assert data_version() == data_version() and reads.count("project-data:version") == 2
    finally:
        project_cache._request_finished()
    data_version()
    data_version()
    assert reads.count("project-data:version") == 4
