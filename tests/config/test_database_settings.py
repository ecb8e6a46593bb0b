"""Issue 12 part 3: persistent connections, and PostgreSQL's JIT off unless asked for."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def database_settings(**environment):
    """The default database's settings as a fresh process would read them from this environment."""
    env = {key: value for key, value in os.environ.items() if key not in {"CONN_MAX_AGE", "DATABASE_JIT"}}
    env.update({"LOCAL_SECRET_KEY": "1", **environment})
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "d = settings.DATABASES['default'];"
        "print(json.dumps({'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS'],"
        " 'options': d.get('OPTIONS', {}).get('options', '')}))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_connections_are_kept_with_health_checks_by_default():
    found = database_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused")
    assert found["age"] > 0
    assert found["checks"] is True


def test_conn_max_age_comes_from_the_environment():
    assert database_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused", CONN_MAX_AGE="0")["age"] == 0


def test_postgresql_jit_is_off_unless_database_jit_is_set():
    url = "postgres://postgres@127.0.0.1:5432/unused"
    assert "-c jit=off" in database_settings(DATABASE_URL=url)["options"]
    assert "jit" not in database_settings(DATABASE_URL=url, DATABASE_JIT="1")["options"]


def test_sqlite_gets_no_postgresql_options():
    assert database_settings(DATABASE_URL="sqlite:////tmp/unused.sqlite3")["options"] == ""


@pytest.mark.services
@pytest.mark.django_db
def test_the_live_postgresql_session_runs_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
