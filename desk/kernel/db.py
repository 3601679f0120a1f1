"""How sockets reach the database: a small pool of threads, each keeping its own connection.

Channels' `database_sync_to_async` runs every call of every socket of a process on one thread, so
one slow query (or a burst of new conversations) holds up every other socket's message. Socket
handlers are self-contained (each call is its own transaction), so they can run side by side on
`SOCKET_DB_THREADS` threads. SQLite allows one writer at a time: there the pool has one thread.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connection

P = ParamSpec("P")
R = TypeVar("R")

_executor: ThreadPoolExecutor | None = None


def _threads() -> int:
    if connection.vendor == "sqlite":
        return 1
    return max(1, settings.SOCKET_DB_THREADS)


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="socket-db")
    return _executor


def db_async(func: Callable[P, R]) -> DatabaseSyncToAsync:
    """`database_sync_to_async` on the socket pool (closes stale connections around each call)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=executor())
