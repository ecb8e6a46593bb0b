"""Issue 8 section 1, proved by machine: schemathesis generates requests for every operation of
/api/schema/ (valid and invalid bodies, query strings and path values) and sends them in-process
to the WSGI app as a center user. No answer may be a server error, and every documented answer must
conform to the schema. The number of examples per operation is bounded so the run stays short."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from accounts.tokens import issue_token
from tests.factories import ProblemFactory

# Per operation; the API has 7 operations, so about 7 × this many requests (more when hypothesis
# shrinks a failure); 30 keeps the run under a minute of CPU.
EXAMPLES = 30
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SENT = []


def _wsgi_app():
    from config.wsgi import application

    return application


def _schema_document() -> dict:
    """The document /api/schema/ serves (to logged-in callers only), built from the code as its view
    builds it: no database and no login are needed at collection time."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_schema_document())
schema.app = _wsgi_app()


@pytest.fixture
def data(db, project_a, project_b, unit_a):
    """Two projects and a problem, so that requests naming SZ-A or SZ-B reach real rows. Requests go
    to the WSGI handler itself, whose request signals would close the test's database connection
    (on PostgreSQL, inside the test's transaction); Django's own test client unhooks them the same way."""
    ProblemFactory(project=project_a, assigned_unit=unit_a)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_a_server_error_and_keeps_to_its_schema(case, data, center_user):
    response = case.call_and_validate(headers={"Authorization": f"Token {issue_token(center_user)}"}, checks=CHECKS)
    SENT.append(response.status_code)
