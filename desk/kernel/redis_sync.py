"""The process's synchronous Redis client (rate limits, socket caps, the domain-event wake).

One client per Redis URL, with short timeouts: callers treat Redis as an aid that may fail (a
limit is skipped, a wake falls back to sending the task), never as a reason to stop.
"""

import redis
from django.conf import settings

_clients: dict[str, redis.Redis] = {}


def client() -> redis.Redis:
    url = settings.REDIS_URL
    found = _clients.get(url)
    if found is None:
        found = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        _clients[url] = found
    return found
