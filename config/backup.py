"""Backup and restore of the whole system (issue 8, section 5): `make backup`, `make restore FILE=…`.

A backup is one .tar.gz holding
- `database.dump`: pg_dump's custom format (PostgreSQL), or `database.sqlite3`: a consistent copy
  made with SQLite's online backup API (the application may keep running during either);
- `files/`: uploaded files: MEDIA_ROOT when set, and var/uploads (checked ledger uploads waiting
  for 确认导入, projects.ledger_uploads);
- `manifest.json`: the engine, the time, and the row count of every table, which the restore checks.

A restore replaces the database with the backup's (pg_restore --clean in one transaction, or the
backup API copied the other way) and then compares the row counts with the manifest.
"""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.dispatch import Signal

MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES = "files"


class BackupError(Exception):
    """A backup or restore that cannot be made; the message is for the operator (Chinese)."""


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def row_counts() -> dict[str, int]:
    """Rows per model, for every installed model with a table (one COUNT each)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.label] = model._base_manager.count()
    return counts


def _pg_env() -> tuple[list[str], dict]:
    db = connection.settings_dict
    args = ["--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432), "--username", db["USER"] or "postgres",
            "--dbname", db["NAME"]]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    return args, env


def _run(command: list[str], env: dict) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {command[0]}：请安装与数据库版本相同或更新的 PostgreSQL 客户端") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[-2000:]}")


def backup(*, output: Path | None = None) -> Path:
    """Write a backup archive and return its path (var/backups/backup-<time>.tar.gz by default)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = Path(output or settings.VAR_DIR / "backups" / f"backup-{stamp}.tar.gz")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        engine = _engine()
        counts = row_counts()
        if engine == "postgresql":
            args, env = _pg_env()
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(work / PG_DUMP), *args], env)
        else:
            connection.ensure_connection()
            with sqlite3.connect(work / SQLITE_COPY) as copy:
                connection.connection.backup(copy)
            copy.close()
        manifest = {"engine": engine, "created_at": datetime.datetime.now().astimezone().isoformat(),
                    "counts": counts}
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            for name in (MANIFEST, PG_DUMP, SQLITE_COPY):
                if (work / name).exists():
                    archive.add(work / name, arcname=name)
            for name, root in _file_roots().items():
                archive.add(root, arcname=f"{FILES}/{name}")
        partial.replace(output)  # a backup that died half-way is never mistaken for a whole one
    return output


def _file_roots() -> dict[str, Path]:
    """Folders of uploaded files that exist, by their name in the archive."""
    roots = {"media": getattr(settings, "MEDIA_ROOT", ""), "uploads": Path(settings.VAR_DIR) / "uploads"}
    return {name: Path(root) for name, root in roots.items() if root and Path(root).is_dir()}


def read_manifest(path: Path) -> dict:
    try:
        with tarfile.open(path, "r:gz") as archive:
            return json.load(archive.extractfile(MANIFEST))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"不是有效的备份文件：{path}（{exc}）") from exc


# Sent after a restore replaced the data (projects.cache retires what it keeps of the old data).
restored = Signal()


def restore(*, path: Path) -> dict:
    """Replace the database (and uploaded files) with the backup at `path`; return the manifest.
    Raises BackupError when the backup is of the other engine or the restored counts differ."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest["engine"] != _engine():
        raise BackupError(f"备份来自 {manifest['engine']} 数据库，当前为 {_engine()}，不能直接恢复")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(work, filter="data")
        if manifest["engine"] == "postgresql":
            connection.close()  # nothing of ours may hold a lock that pg_restore --clean waits for
            args, env = _pg_env()
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
                  *args, str(work / PG_DUMP)], env)
        else:
            connection.ensure_connection()
            with sqlite3.connect(work / SQLITE_COPY) as source:
                source.backup(connection.connection)
            source.close()
        for name, target in {"media": getattr(settings, "MEDIA_ROOT", ""),
                             "uploads": Path(settings.VAR_DIR) / "uploads"}.items():
            if target and (work / FILES / name).is_dir():
                shutil.copytree(work / FILES / name, target, dirs_exist_ok=True)
    found = row_counts()
    missing = {label: (count, found.get(label)) for label, count in manifest["counts"].items()
               if found.get(label) != count}
    if missing:
        lines = "；".join(f"{label} 应有 {want} 行，现有 {got}" for label, (want, got) in sorted(missing.items()))
        raise BackupError(f"恢复后的数据与备份不符：{lines}")
    restored.send(sender=restore)
    return manifest
