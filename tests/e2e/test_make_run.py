"""Issue 9: `make run` shows what users see, not Django's debug pages (scripts/run.sh, as make runs it)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def running(tmp_path):
    """scripts/run.sh on a free port with its own var/ (database, broker, key, logs)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL",
                                                            "REDIS_URL", "SECRET_KEY")}
    env.update(VAR_DIR=str(tmp_path), PORT=str(port), HOST="127.0.0.1", BIN=str(Path(sys.executable).parent),
               LOCAL_SECRET_KEY="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    # Output to a file, not a pipe: an unread pipe that fills up blocks the server and its shutdown.
    log = tmp_path / "run.log"
    process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                fetch(f"{base}/login/")
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("run.sh stopped: " + log.read_text(errors="replace")[-2000:])
                time.sleep(0.5)
        yield base, tmp_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A worker still finishing its warm shutdown on a loaded machine: what the test checks is
            # already asserted, so end the whole group rather than fail in teardown.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_make_run_shows_chinese_error_pages_and_no_debug_page(running):
    base, var = running
    status, body = fetch(f"{base}/no-such-page/")
    assert status == 404
    assert "页面不存在" in body or "找不到" in body
    assert "URLconf" not in body and "DEBUG = True" not in body
    status, css = fetch(f"{base}/static/css/app.css")
    assert status == 200 and ".topbar" in css  # pages keep their style without DEBUG
    assert (var / "secret_key").exists()  # a generated local key, not a fixed one
