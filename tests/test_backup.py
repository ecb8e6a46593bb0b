"""Issue 8 section 5: a backup, a wiped database and a restore give back every project, node,
history row and notification (and every other table's rows). Runs on the suite's database:
SQLite by default, PostgreSQL with pg_dump/pg_restore under CI; the SQLite online backup is also
run end to end in a fresh install below, so CI covers both engines."""

import io
import json
import os
import subprocess
import tarfile
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from config import backup
from milestones.models import Node
from notifications.models import Notification
from projects.models import Project, Role, TransitionLog, Unit, local_today
from projects.services import project_transition, project_update
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _wipe():
    """The disaster: on PostgreSQL the schema is dropped, tables and all; on SQLite every row goes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        call_command("flush", "--noinput")


def _contents():
    return {
        "projects": sorted(Project.objects.values_list("code", "name", "status", "updated_at")),
        "nodes": sorted(Node.objects.values_list("pk", "node_type", "planned_date", "actual_date")),
        "history": sorted(TransitionLog.objects.values_list("pk", "transition", "source_state", "target_state")),
        "notifications": sorted(Notification.objects.values_list("pk", "reason", "channel", "status")),
    }


def test_a_backup_restores_every_project_node_history_row_and_notification(tmp_path):
    unit = Unit.objects.get(name="市自然资源局")
    UserFactory(username="zr-backup", email="zr@example.com", role=Role.UNIT, role__unit=unit)
    projects = [ProjectFactory(code=f"SZ-BAK-{n}") for n in range(3)]
    project_transition(project=projects[0], name="acquire_land", effective_date=local_today())
    project_update(project=projects[1], planned_dates={"land": local_today()})  # writes reminders
    before, counts = _contents(), backup.row_counts()
    assert before["notifications"] and before["history"] and len(before["nodes"]) >= 12

    call_command("backup", output=str(tmp_path / "b.tar.gz"))
    _wipe()
    assert connection.vendor == "sqlite" and not Project.objects.exists() or connection.vendor == "postgresql"
    call_command("restore", str(tmp_path / "b.tar.gz"), "--noinput")

    assert _contents() == before
    assert backup.row_counts() == counts


def test_a_backup_of_the_other_engine_is_refused(tmp_path):
    path = backup.backup(output=tmp_path / "b.tar.gz")
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"

    forged = tmp_path / "other.tar.gz"
    with tarfile.open(path) as source, tarfile.open(forged, "w:gz") as target:
        for member in source.getmembers():
            if not member.isfile():
                target.addfile(member)
                continue
            data = source.extractfile(member).read()
            if member.name == backup.MANIFEST:
                manifest = json.loads(data)
                manifest["engine"] = other
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="不能直接恢复"):
        call_command("restore", str(forged), "--noinput")
    with pytest.raises(CommandError, match="不是有效的备份文件"):
        call_command("restore", str(tmp_path / "missing.tar.gz"), "--noinput")


def test_make_backup_and_restore_on_a_fresh_sqlite_install(tmp_path):
    """`make backup` / `make restore FILE=…` on the default install (SQLite, demo data)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "CI")}
    env.update(VAR_DIR=str(tmp_path / "var"), DEBUG="1", PYTHON=sys.executable)
    base = Path(settings.BASE_DIR)

    def run(*command):
        done = subprocess.run(command, cwd=base, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    manage = [sys.executable, "manage.py"]
    run(*manage, "migrate", "--noinput", "-v", "0")
    run(*manage, "load_demo")
    upload = tmp_path / "var" / "uploads" / "ledger" / "1" / "checked.xlsx"  # a ledger upload awaiting 确认导入
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"PK\x03\x04 checked ledger")
    count = [*manage, "shell", "-v", "0", "-c",
             "from projects.models import Project, TransitionLog; from milestones.models import Node; "
             "from notifications.models import Notification; "
             "print(Project.objects.count(), Node.objects.count(), TransitionLog.objects.count(), "
             "Notification.objects.count())"]
    before = run(*count)
    assert before.split()[0] != "0"
    run("make", "-s", "backup", f"FILE={tmp_path / 'demo.tar.gz'}", f"BIN={Path(sys.executable).parent}")
    run(*manage, "flush", "--noinput")
    upload.unlink()
    assert run(*count).split()[0] == "0"
    out = run("make", "-s", "restore", f"FILE={tmp_path / 'demo.tar.gz'}", "RESTORE_FLAGS=--noinput",
              f"BIN={Path(sys.executable).parent}")
    assert "已恢复" in out and "已核对" in out
    assert run(*count) == before
    assert upload.read_bytes() == b"PK\x03\x04 checked ledger"
