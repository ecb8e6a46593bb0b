"""The production cache (config.cache.RedisCache on REDIS_URL): Django's Redis cache with one client
per connection pool (issue 12), and the aggregates' version kept there across processes."""

import os
import uuid

import pytest

from config.cache import RedisCache


@pytest.fixture
def redis_cache():
    # Its own key prefix: the database is shared with the broker, so nothing here clears it.
    return RedisCache(os.environ.get("REDIS_URL", ""), {"KEY_PREFIX": f"test-{uuid.uuid4().hex}", "TIMEOUT": 30})


@pytest.mark.services
def test_the_redis_cache_reads_what_it_stored_with_one_client_per_pool(redis_cache):
    assert redis_cache.get("absent", "default") == "default"
    assert redis_cache.add("version", "a", None) and not redis_cache.add("version", "b", None)
    redis_cache.set("counts", {"red": 3, "yellow": 1}, 30)
    assert redis_cache.get_many(["version", "counts"]) == {"version": "a", "counts": {"red": 3, "yellow": 1}}
    client = redis_cache._cache
    assert client.get_client() is client.get_client() is client.get_client(write=True)
    redis_cache.delete_many(["version", "counts"])
    assert redis_cache.get("version") is None


@pytest.mark.services
def test_a_version_set_by_one_process_is_read_by_another():
    """The web workers and the Celery worker share the version: a write in one retires the counts
    cached by the others (projects.cache)."""
    import subprocess
    import sys

    prefix = f"test-{uuid.uuid4().hex}"
    writer = RedisCache(os.environ.get("REDIS_URL", ""), {"KEY_PREFIX": prefix})
    writer.set("project-data:version", "from-this-process", None)
    script = ("import os, sys; sys.path.insert(0, '.'); from config.cache import RedisCache; "
              f"print(RedisCache(os.environ['REDIS_URL'], {{'KEY_PREFIX': '{prefix}'}}).get('project-data:version'))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "from-this-process"
    writer.delete("project-data:version")
