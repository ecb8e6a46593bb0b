"""`id__any_of=Ids([…])`: membership in a long list of ids as one query parameter.

Django's `__in` writes one placeholder per value and prepares each, and a filter's value that is a
list or tuple is walked item by item while the query is built: a unit's scope of 5,000 project ids
(projects.selectors) cost about 50 ms of Python per query. Here the ids travel as one parameter:
PostgreSQL's array literal text (`= ANY(%s::bigint[])`), or JSON text that SQLite reads with
json_each.
"""

import hashlib
import json

from django.db import models


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
