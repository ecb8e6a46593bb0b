"""Membership in a long list of values as one query parameter: `id__any_of=Ids([…])` for ids,
`InArray(F(column), values)` for any column.

Django's `__in` writes one placeholder per value and prepares each, and a filter's value that is a
list or tuple is walked item by item while the query is built: a unit's scope of 5,000 project ids
(projects.selectors) cost about 50 ms of Python per query. Here the ids travel as one parameter:
PostgreSQL's array literal text (`= ANY(%s::bigint[])`), or JSON text that SQLite reads with
json_each.
"""

import hashlib
import json

from django.db import models
from django.db.models.lookups import In


class Ids:
    """Project ids for `any_of`: not a list, so that Django takes it as one value. Its text forms
    are made here once, and kept when it is cached (a unit's pages use its scope in several queries)."""

    def __init__(self, values):
        # Sorted: the same set is the same text whatever order the database returned it in, so two
        # scopes holding the same projects share their cached counts (projects.cache keys by this).
        self.values = tuple(sorted(int(value) for value in values))
        self.array_literal = "{" + ",".join(map(str, self.values)) + "}"
        self.digest = hashlib.sha1(self.array_literal.encode(), usedforsecurity=False).hexdigest()

    def __len__(self):
        return len(self.values)

    def __repr__(self):  # what str(query) shows, and so projects.cache.query_key's key
        return f"Ids({len(self.values)}:{self.digest})"


@models.BigAutoField.register_lookup
@models.AutoField.register_lookup
class AnyOf(models.Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # Ints only: the literal is safe, and psycopg's list adapter is slow in Python.
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs.array_literal]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(self.rhs.values)]


class InArray(In):
    """`In` for many values of any type, used as an expression (`filter(InArray(F("code"), codes))`,
    so that Django does not walk the list while building the query): on PostgreSQL `column = ANY(%s)`
    with the values as one array, not one placeholder each, which Django writes and psycopg splits
    again (a third of loading the 10,000 projects a ledger names and their nodes, issue 12). Plain
    `IN` elsewhere. For ids, `any_of` with `Ids` is faster still."""

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, [value for value in self.rhs if value is not None])
