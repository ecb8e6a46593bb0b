"""Django's Redis cache, with one redis.Redis per connection pool instead of one per call.

Django builds a new redis.Redis for every get and set (its RedisCacheClient.get_client), and each
build fills a table of some 300 response callbacks: about 0.7 ms a call, 15 ms of a dashboard that
reads a dozen cached aggregates (issue 12). A redis.Redis is safe to share between threads; it takes
a connection from the pool for each command.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
