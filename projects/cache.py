"""Aggregates over the project data (counts, light counts, the 1330 progress …) kept in the cache
until the data changes (issue 12).

At a province's size (100,000 projects) one count of the 台账 or one light count reads the whole
table, and the dashboard needs a dozen of them; every person who opens it asks the same numbers
again. A cached aggregate is keyed by the data's version: any write to a model of the project data
(projects, milestones, reports) sets a new version, so the next read computes afresh. The cached
numbers are never older than the last committed change; the timeout only bounds how long unused
entries stay.

The version is set twice: at the write, so that later reads in this process (and in the tests,
which never commit) miss the old entries, and again after the commit, because a read in another
process between the write and the commit could have stored the old numbers under the first new
version.

The cache is a helper, never a dependency: when it fails (Redis down), the aggregate is computed
and the failure logged, and a page still answers.
"""

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.core.signals import request_finished, request_started
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.db.models.sql.where import WhereNode
from django.utils.functional import cached_property

log = logging.getLogger(__name__)

VERSION_KEY = "project-data:version"
_MISSING = object()


def _new_version() -> str:
    return uuid.uuid4().hex[:16]


def _safely(operation: Callable[[], Any], default: Any = None) -> Any:
    try:
        return operation()
    except Exception:  # any backend's failure (redis.ConnectionError, a full disk …): compute instead
        log.warning("cache unavailable; computing without it", exc_info=True)
        return default


# Within one web request the version is read once: a page asks for a dozen cached aggregates, and
# each read of the version was a round trip to Redis. Only between request_started and
# request_finished (a worker process or a shell never sees a version it did not read just now);
# a write in the request sets the new version here too.
_request = threading.local()


def _request_started(**_signal_kwargs) -> None:
    _request.active, _request.version = True, None


def _request_finished(**_signal_kwargs) -> None:
    _request.active, _request.version = False, None


request_started.connect(_request_started, dispatch_uid="project_data_version_request_started")
request_finished.connect(_request_finished, dispatch_uid="project_data_version_request_finished")


def data_version() -> str | None:
    """The current version of the project data, or None when the cache cannot be reached."""
    if getattr(_request, "active", False) and _request.version is not None:
        return _request.version

    def read():
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, _new_version(), None)
            version = cache.get(VERSION_KEY)
        return version

    version = _safely(read)
    if getattr(_request, "active", False):
        _request.version = version
    return version


def new_version() -> None:
    version = _new_version()
    if getattr(_request, "active", False):
        _request.version = None  # read again: if the cache refuses the write, the next read says so
    _safely(lambda: cache.set(VERSION_KEY, version, None))


def data_changed(**_signal_kwargs) -> None:
    """Call after (or at) any write to the project data; the signal receivers below do it for saves
    and deletes, `VersionedQuerySet` for bulk writes, `projects.bulk` for COPY."""
    new_version()
    connection = transaction.get_connection()
    # Once per transaction is enough after the commit. A callback of a savepoint rolled back is
    # dropped from the list, and the next write registers it again.
    if not any(callback is new_version for _savepoints, callback, _robust in connection.run_on_commit):
        transaction.on_commit(new_version)


def query_key(queryset: models.QuerySet) -> str:
    """A queryset's identity for a cache key: its SQL with the parameters in place, hashed. Two
    querysets with the same key read the same rows."""
    return hashlib.sha1(str(queryset.query).encode(), usedforsecurity=False).hexdigest()


def cached(name: str, parts: Iterable[Any], compute: Callable[[], Any]) -> Any:
    """`compute()`, or its result stored for this version of the project data and these `parts`
    (the as-of date, the scope …: everything the result depends on besides the data)."""
    version = data_version()
    if version is None:
        return compute()
    prefix, rest = f"agg:{version}:{name}:", ":".join(str(part) for part in parts)
    if len(prefix) + len(rest) > 200:  # memcached's limit is 250; a hash keeps any backend happy
        rest = hashlib.sha1(rest.encode(), usedforsecurity=False).hexdigest()
    key = prefix + rest
    value = _safely(lambda: cache.get(key, _MISSING), _MISSING)
    if value is _MISSING:
        value = compute()
        _safely(lambda: cache.set(key, value, settings.AGGREGATE_CACHE_SECONDS))
    return value


def cached_count(queryset: models.QuerySet) -> int:
    # Keyed by the rows counted, not by how they would be shown: without the columns, joins and
    # annotations the list selects (the 台账's cost 10 ms to compile per page), the same key.
    return cached("count", [query_key(queryset.order_by().values("pk"))], queryset.count)


class CachedCountPaginator(Paginator):
    """Django's paginator with the total read from the cache (at 100,000 projects the 台账 counted
    the whole filtered table on every page), and a far page read by its ids first.

    A page deep in the list (`?page=200`: OFFSET 3,980) made the database fetch and join every row
    before it, for the page's twenty. The ids come first, in the list's order, from the ORDER BY's
    columns alone; then the twenty rows by id (a "deferred join")."""

    # Below this offset the plain query is as fast.
    DEFERRED_FROM = 200

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, models.QuerySet):
            return cached_count(self.object_list)
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        queryset = self.object_list
        if not isinstance(queryset, models.QuerySet) or bottom < self.DEFERRED_FROM:
            return super().page(number)
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        # The rows by their ids alone: the ids passed the list's filter already, and with the filter
        # repeated (a unit's scope, 5,000 ids) the planner scanned the whole table for twenty rows.
        # A join the filter made stays in the query; a row it repeats is the same row.
        by_ids = queryset._chain()
        by_ids.query.where = WhereNode()
        rows = {row.pk: row for row in by_ids.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class VersionedQuerySet(models.QuerySet):
    """A queryset whose bulk writes (update, bulk_create, bulk_update), which send no post_save,
    still set a new version of the project data. Its delete needs nothing: with `watch`'s post_delete
    receivers Django deletes row by row and sends the signal for each."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        data_changed()
        return rows

    def bulk_create(self, *args, **kwargs):
        created = super().bulk_create(*args, **kwargs)
        data_changed()
        return created

    def bulk_update(self, *args, **kwargs):
        rows = super().bulk_update(*args, **kwargs)
        data_changed()
        return rows


_watched: set[type[models.Model]] = set()


def written(model: type[models.Model]) -> None:
    """A write that sends no model signal (projects.bulk's COPY) to `model`'s table."""
    if model in _watched:
        data_changed()


def watch(app_config) -> None:
    """Every model of `app_config` is project data: its saves and deletes set a new version. Called
    by each such app's ready(); connected per model, so other apps' mass deletes keep Django's fast
    path (a receiver for every sender would cost them a signal per row)."""
    for model in app_config.get_models():
        _watched.add(model)
        post_save.connect(data_changed, sender=model, weak=False, dispatch_uid=f"data_changed_save_{model._meta.label}")
        post_delete.connect(data_changed, sender=model, weak=False,
                            dispatch_uid=f"data_changed_delete_{model._meta.label}")
