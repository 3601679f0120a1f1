"""How sockets reach the database: a small pool of threads, each keeping its own connection.

Channels' `database_sync_to_async` runs every call of every socket of a process on one thread, so
one slow query (or a burst of new conversations) holds up every other socket's message. Socket
handlers are self-contained (each call is its own transaction), so they can run side by side on
`SOCKET_DB_THREADS` threads. SQLite allows one writer at a time: there the pool has one thread.

On PostgreSQL connections come from a pool (settings: `DB_POOL_MAX_SIZE`), which hands a request's
connection back when it ends. These threads live as long as the process, so each keeps the one it
took (the message path pays no checkout per call); one that failed is closed and replaced, as
before.
"""

import functools
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


def _keeping_its_connection(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            # Never "obsolete" (a pooled connection is otherwise handed back after each call);
            # Channels' close_old_connections still closes it when it is broken.
            connection.close_at = None

    return run


def db_async(func: Callable[P, R]) -> DatabaseSyncToAsync:
    """`database_sync_to_async` on the socket pool: each thread keeps its connection, and one
    that failed is closed around the call."""
    return DatabaseSyncToAsync(
        _keeping_its_connection(func), thread_sensitive=False, executor=executor()
    )
