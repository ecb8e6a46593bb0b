"""A checked ledger upload, kept on the server for a while so that 确认导入 needs no second upload
(issue 9). Files are keyed by the uploader and the SHA-256 of their content: a confirmation
imports exactly the bytes that were checked, and only the user who checked them can confirm."""

import hashlib
import time
from pathlib import Path

from django.conf import settings

KEEP_SECONDS = 30 * 60  # long enough to read the summary; a stale check is simply done again


def _folder(user) -> Path:
    return Path(settings.VAR_DIR) / "uploads" / "ledger" / str(user.pk)


def keep(*, user, content: bytes) -> str:
    """Store a checked upload; returns its digest (what the 确认导入 form posts back)."""
    purge_expired(user=user)
    digest = hashlib.sha256(content).hexdigest()
    folder = _folder(user)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{digest}.xlsx").write_bytes(content)
    return digest


def load(*, user, digest: str, now: float | None = None) -> bytes | None:
    """The checked upload, or None when unknown, someone else's, or older than KEEP_SECONDS."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    path = _folder(user) / f"{digest}.xlsx"
    if not path.exists() or (now or time.time()) - path.stat().st_mtime > KEEP_SECONDS:
        return None
    return path.read_bytes()


def discard(*, user, digest: str) -> None:
    (_folder(user) / f"{digest}.xlsx").unlink(missing_ok=True)


def purge_expired(*, user, now: float | None = None) -> None:
    folder = _folder(user)
    if not folder.is_dir():
        return
    for path in folder.glob("*.xlsx"):
        if (now or time.time()) - path.stat().st_mtime > KEEP_SECONDS:
            path.unlink(missing_ok=True)
