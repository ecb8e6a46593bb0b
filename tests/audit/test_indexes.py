"""Issue 12: every index is upkeep on each row written (a 10,000-row import writes ~68,000 audit records,
~58,000 nodes and ~37,000 history rows), so these tables keep only the indexes a query reads."""

import pytest
from django.db import connection

from audit.models import AuditEntry
from projects.models import Project

pytestmark = pytest.mark.django_db


def index_columns(model=AuditEntry):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return sorted(tuple(c["columns"]) for c in constraints.values() if c["index"] and not c["unique"]
                  and not c["primary_key"])


def test_the_audit_table_keeps_only_the_indexes_its_queries_read():
    # by project (a project's 变更记录), by object id (auditlog's get_for_object), by time (the admin's
    # list), by content type and by actor (their foreign keys: a deleted user's records are found).
    expected = [("actor_id",), ("content_type_id",), ("object_id",), ("project_id", "timestamp", "id"),
                ("timestamp",)]
    assert index_columns() == expected


def test_every_audited_model_has_an_integer_key_so_object_pk_is_never_read():
    """auditlog reads object_pk only for a model whose key is not an integer (get_for_object)."""
    from auditlog.registry import auditlog

    assert Project in auditlog.get_models()
    for model in auditlog.get_models():
        assert model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField"), model


def test_a_nodes_and_a_history_rows_project_is_found_by_the_composite_indexes_alone():
    """The foreign keys' own indexes were dropped (migrations milestones 0013, projects 0013): a
    composite index that starts with the project serves each lookup by project."""
    from milestones.models import Node
    from projects.models import TransitionLog

    with connection.cursor() as cursor:
        for model, composite in ((Node, ["project_id", "node_type"]), (TransitionLog, ["project_id", "id"])):
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert ["project_id"] not in [c["columns"] for c in constraints.values() if c["index"]]
            assert composite in [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
