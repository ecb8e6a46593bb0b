"""Bulk work: the ledger import's writes (issue 12 part 4), and `cycle_collector_paused` for any
building of many objects at once (the import, report_compliance).

The writes: On PostgreSQL: rows are COPYed, with their
ids taken from the table's sequence first, and updates are one UPDATE … FROM (VALUES …) per batch.
Django's bulk_create (INSERT … SELECT FROM UNNEST of one array per column) and bulk_update (a CASE
WHEN per field) spent most of a 10,000-row import building and quoting those arrays and cases.
Elsewhere (SQLite) Django's own bulk methods are used.

On PostgreSQL the statements can also be sent from a thread of their own (`writer`): the rows are
made in the caller's thread (ids, stamps, values), and the server inserts them, keeps the indexes and
checks the foreign keys on the machine's other core while the caller goes on making the next rows.

Values go to the database as the model holds them, converted only where Django would convert
them on save: auto_now fields are stamped, JSON is encoded. Nothing here checks a value: the
callers have (projects.validation), and the table's constraints still do.
"""

import contextlib
import gc
import json
import operator
import queue
import threading

import orjson
from django.db import DatabaseError, connection
from django.db.models import JSONField
from django.utils import timezone

from . import cache


def insert(model, objects, *, ids=True, batch_size=1000, writer=None) -> None:
    """Insert model instances, or rows as {attname: value} dicts (missing columns take the field's
    default). Instances get their primary key and are marked saved, as bulk_create leaves them;
    with `ids=False` (rows nothing refers to) the table numbers them and they are left unsaved.
    With a `writer` the rows are made now and sent by its thread; the objects are not to be changed
    meanwhile (they are not read again)."""
    if not objects:
        return
    _written(model, writer)  # COPY sends no signal
    as_rows = isinstance(objects[0], dict)
    if connection.vendor != "postgresql":
        instances = [model(**row) for row in objects] if as_rows else objects
        model.objects.bulk_create(instances, batch_size=batch_size)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    fields, values_of = _columns(model, as_rows=as_rows, now=timezone.now())
    columns = ", ".join(quote(f.column) for f in ([pk, *fields] if ids else fields))
    if ids and as_rows:
        numbered = _next_ids(model, len(objects))
        rows = [(pk_value, *values_of(row)) for row, pk_value in zip(objects, numbered, strict=True)]
    elif ids:
        number(model, [obj for obj in objects if obj.pk is None])
        _take_related_ids(model, objects)
        rows = [(obj.pk, *values_of(obj)) for obj in objects]
    else:
        if not as_rows:
            _take_related_ids(model, objects)
        rows = [values_of(obj) for obj in objects]
    _run(writer, _copy, f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN", rows)


def number(model, objects, *, ids=None) -> None:
    """Give new instances their ids from the table's sequence now (never reused, as for INSERTs)
    and mark them saved, as bulk_create leaves them; `insert` then writes them with these ids. For
    a caller that needs the ids before the write, or wants the query out of a writer's block.
    `ids`: a `ReservedIds` holding ids taken ahead, given out first."""
    if not objects or connection.vendor != "postgresql":
        return
    alias = connection.alias
    numbered = ids.take(model, len(objects)) if ids is not None else _next_ids(model, len(objects))
    for obj, pk_value in zip(objects, numbered, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = alias


class ReservedIds:
    """Ids taken from the tables' sequences ahead, for `number` to give out. Taken before a writer
    starts, they spare the caller's thread a query while the writer sends its statements: psycopg
    runs one statement at a time on a connection, so the caller's query would wait for the writer's
    COPY of the previous part (issue 12). An id taken and not given out is never used, as one of a
    rolled back INSERT."""

    def __init__(self):
        self._free = {}

    def reserve(self, model, count) -> None:
        if count > 0 and connection.vendor == "postgresql":
            self._free[model] = [*self._free.get(model, ()), *_next_ids(model, count)]

    def take(self, model, count) -> list[int]:
        free = self._free.get(model, [])
        taken, self._free[model] = free[:count], free[count:]
        return taken + _next_ids(model, count - len(taken)) if len(taken) < count else taken


def _copy(cursor, statement, rows):
    with cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def _columns(model, *, as_rows, now):
    """The columns to COPY (all but the primary key) and a function giving one object's values in
    their order: the plain ones read in one call (attrgetter / itemgetter), then the few that need
    converting (stamps, JSON)."""
    pk = model._meta.pk
    plain, converted = [], []
    for field in model._meta.concrete_fields:
        if field is pk:
            continue
        special = _row_value(field, now) if as_rows else _instance_value(field)
        (converted if special else plain).append((field, special))
    fields = [f for f, _ in plain] + [f for f, _ in converted]
    names = [f.attname for f, _ in plain]
    specials = [get for _, get in converted]
    if as_rows:
        defaults = {f.attname: f.get_default() for f, _ in plain}
        pick = operator.itemgetter(*names)

        def values_of(row):
            picked = pick({**defaults, **row})
            return (*(picked if len(names) > 1 else (picked,)), *(get(row) for get in specials))
    else:
        pick = operator.attrgetter(*names)

        def values_of(obj):
            picked = pick(obj)
            return (*(picked if len(names) > 1 else (picked,)), *(get(obj) for get in specials))
    return fields, values_of


def _instance_value(field):
    """How to read `field` of an instance for COPY when its attribute is not the value; else None."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, add=True)  # stamps the instance too, as a save would
    get = operator.attrgetter(field.attname)
    if isinstance(field, JSONField):
        return lambda obj: _encode(field, get(obj))
    return None  # a foreign key too: _take_related_ids has filled in the ids


def _take_related_ids(model, objects):
    """A foreign key assigned before the related row had its id (a new node's new project): take
    the id now, as bulk_create does, keeping the related object cached (setattr would drop it). One
    pass per key before the rows are made, not a function call per row and key (issue 12)."""
    for field in model._meta.concrete_fields:
        if not field.many_to_one:
            continue
        attname = field.attname
        for obj in objects:
            if obj.__dict__.get(attname) is None:
                related = field.get_cached_value(obj, default=None)
                if related is not None and related.pk is not None:
                    obj.__dict__[attname] = related.pk


def _row_value(field, now):
    """The same for a row dict; a column the row leaves out takes the field's default."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda row: row.get(attname) or now  # one moment for the whole write
    if isinstance(field, JSONField):
        default = field.get_default()
        # None (most of an audit row's JSON columns) without a call.
        return lambda row: None if (value := row.get(attname, default)) is None else _encode(field, value)
    if field.has_default() and callable(field.default):  # a timestamp: taken per row, as __init__ does
        return lambda row: row[attname] if attname in row else field.get_default()
    return None


def update(model, objects, field_names, *, batch_size=1000, writer=None) -> None:
    """`bulk_update`; on PostgreSQL the new values are COPYed into a temporary table and set with
    one UPDATE … FROM it (Django's CASE WHEN per field spent seconds on 10,000 rows). With a
    `writer`, as for `insert`."""
    if not objects:
        return
    _written(model, writer)
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, field_names, batch_size=batch_size)
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    # As bulk_update: the attributes as they are (no auto_now stamping), JSON encoded.
    getters = [(_instance_value(f) if isinstance(f, JSONField) else None) or operator.attrgetter(f.attname)
               for f in fields]
    _take_related_ids(model, objects)
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    columns = [pk, *(quote(f.column) for f in fields)]
    rows = [(obj.pk, *(get(obj) for get in getters)) for obj in objects]
    _run(writer, _update_from_copy, table, pk, columns, rows)


def _update_from_copy(cursor, table, pk, columns, rows):
    cursor.execute(f"CREATE TEMPORARY TABLE bulk_update_rows ON COMMIT DROP AS "
                   f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
    _copy(cursor, f"COPY bulk_update_rows ({', '.join(columns)}) FROM STDIN", rows)
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    cursor.execute(f"UPDATE {table} SET {assignments} FROM bulk_update_rows v WHERE {table}.{pk} = v.{pk}")
    cursor.execute("DROP TABLE bulk_update_rows")


def _written(model, writer):
    """cache.written(model), once per model for a writer's statements: they are one transaction's
    writes, and a new version of the data is set again at its commit (a cache write each time, ~40
    times an import otherwise)."""
    if writer is None or model not in writer.written:
        cache.written(model)
        if writer is not None:
            writer.written.add(model)


def _run(writer, statements, *args):
    """`statements(cursor, *args)` now, on this thread's connection, or queued on `writer`'s thread."""
    if writer is None:
        with connection.cursor() as cursor:
            statements(cursor, *args)
    else:
        writer.submit(statements, *args)


@contextlib.contextmanager
def writer(models):
    """A `Writer` for bulk statements into `models`' tables, closed (waited for) on leaving the block;
    None where there is none to have (not PostgreSQL): the statements then run as they are called.

    The caller's thread may still query inside the block: psycopg runs its statement between the
    writer's (each holds the connection's lock), in no particular order with those queued, so only
    statements that do not depend on them (taking ids, reading what the import does not write)."""
    if connection.vendor != "postgresql":
        yield None
        return
    connection.ensure_connection()
    background = Writer(connection, [model._meta.db_table for model in models])
    try:
        yield background
    except BaseException as exc:
        background.close(abandon=True)
        if background.error is not None and isinstance(exc, DatabaseError):
            # The caller's statement failed because the writer's had (PostgreSQL refuses every
            # statement of a transaction after an error): the writer's error is the one to see.
            with connection.wrap_database_errors:
                raise background.error from exc
        raise
    background.close()


class Writer:
    """Sends bulk statements from a thread of its own, in the order submitted, on the connection
    (and so in the transaction) of the thread that made it.

    Why: a ledger import is Python making rows on one core while PostgreSQL, when sent them, works on
    the other: inserting, keeping ~30 indexes, and checking every foreign key of ~170,000 rows (issue
    12: the checks alone took a second at commit, with the Python side idle). From this thread the
    server works while the caller makes the next rows. psycopg connections may be shared between
    threads (each statement holds the connection's lock); Django's connection object may not, so the
    thread uses psycopg's. The foreign keys of the tables written are checked as each statement ends
    (SET CONSTRAINTS … IMMEDIATE, here, rather than at commit, where nothing else could be done
    meanwhile) and deferred again when the writer closes: the same constraints, checked earlier."""

    def __init__(self, django_connection, tables):
        self._connection = django_connection
        self._raw = django_connection.connection
        self._jobs = queue.SimpleQueue()
        self._error = None
        self._abandoned = False
        self._deferred = []  # the constraints made immediate, to defer again
        self.written = set()  # the models written, for the cache (`_written`)
        self._thread = threading.Thread(target=self._work, name="bulk-writer", daemon=True)
        self._thread.start()
        self.submit(self._check_immediately, tables)

    def submit(self, statements, *args):
        """Queue `statements(cursor, *args)`."""
        self._jobs.put((statements, args))

    def _work(self):
        while (job := self._jobs.get()) is not None:
            if self._error is None and not self._abandoned:
                statements, args = job
                try:
                    with self._raw.cursor() as cursor:
                        statements(cursor, *args)
                except BaseException as exc:  # handed to the caller's thread by close()
                    self._error = exc

    def _check_immediately(self, cursor, tables):
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable AND condeferred "
                       "AND conrelid = ANY(%s::regclass[])", [tables])
        self._deferred = [self._connection.ops.quote_name(name) for name, in cursor.fetchall()]
        if self._deferred:
            cursor.execute(f"SET CONSTRAINTS {', '.join(self._deferred)} IMMEDIATE")

    def _defer_again(self, cursor):
        if self._deferred:
            cursor.execute(f"SET CONSTRAINTS {', '.join(self._deferred)} DEFERRED")

    @property
    def error(self):
        """The first statement's error, if one failed."""
        return self._error

    def abandon(self):
        """Skip what is queued and not started: the caller's transaction is to be rolled back."""
        self._abandoned = True

    def close(self, *, abandon=False):
        """Wait for the statements queued (none more are run once one failed, or with `abandon`, when
        the caller failed: its transaction is rolled back); a statement's error is raised here, as
        Django's (IntegrityError for a constraint)."""
        if abandon:
            self.abandon()
        elif not self._abandoned:
            self.submit(self._defer_again)
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None and not self._abandoned:
            with self._connection.wrap_database_errors:
                raise self._error


def _next_ids(model, count) -> list[int]:
    """`count` values of the model's table's id sequence, taken now (ids are never reused, as for INSERTs)."""
    meta = model._meta
    with connection.cursor() as cursor:
        # The sequence looked up once (OFFSET 0 keeps the subquery from being merged into the outer
        # query, which would look it up again for every id: seven times slower for 58,000 ids).
        cursor.execute("SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq "
                       "OFFSET 0) s, generate_series(1, %s)",
                       [connection.ops.quote_name(meta.db_table), meta.pk.column, count])
        return [row[0] for row in cursor.fetchall()]


def _encode(field, value):
    """`value` as the JSON text Django would send for `field` (json.dumps with the field's encoder):
    the same JSON value, written by orjson (an import encodes ~100,000 audit changes and history
    snapshots; json.dumps took a second of them, issue 12). What orjson writes itself are the types
    json writes the same way (str, int, float, bool, None, dict, list, tuple, and subclasses such as
    Django's choices; a UUID as its canonical text, as DjangoJSONEncoder); dates and times go to the
    field's encoder, as in json.dumps (DjangoJSONEncoder shortens a datetime's microseconds). What
    orjson refuses (keys that are not text, integers beyond 64 bits, a type no encoder knows) is left
    to json.dumps, to be written or refused as Django would. The one difference: a float NaN or
    infinity, which json writes as NaN (PostgreSQL refuses it), orjson writes as null; the models
    written here have no float field."""
    if value is None:
        return None
    encoder = field.encoder
    if encoder is not None and encoder not in _defaults:
        _defaults[encoder] = encoder().default
    try:
        return orjson.dumps(value, default=_defaults.get(encoder), option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, cls=encoder)


_defaults = {}  # a JSON encoder class -> its default(), the method orjson calls for other types


@contextlib.contextmanager
def cycle_collector_paused():
    """Python's cycle collector off while many objects are made: an import holds ~170,000 model
    instances per 10,000 rows, report_compliance 130,000 dicts at 100,000 projects, and the collector
    rescanned them again and again (a fifth of an import, a quarter of the report's Python time).
    They hold no reference cycles, so reference counting frees them; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
