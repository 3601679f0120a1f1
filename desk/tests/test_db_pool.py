"""Database connections under ASGI (desk/settings.py, desk/kernel/db.py): on PostgreSQL they come
from a bounded pool, so concurrent HTTP requests (each on a thread of its own under daphne) hand
theirs back instead of keeping one each until PostgreSQL refuses clients (bench/webhook_burst.py
measured 305 of 1,000 webhooks answered 500 before); the socket threads keep theirs."""

import asyncio

import pytest
from django.conf import settings
from django.db import connection

from desk.kernel import db

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
def test_postgresql_connections_come_from_a_bounded_pool():
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 0  # the pool's condition: a request hands it back
    assert database["OPTIONS"]["pool"]["max_size"] == settings.DB_POOL_MAX_SIZE > 0


def test_a_socket_thread_keeps_its_connection_from_call_to_call(settings, monkeypatch):
    settings.SOCKET_DB_THREADS = 1  # one thread: the second call runs where the first did
    monkeypatch.setattr(db, "_executor", None)

    def open_already() -> bool:
        was_open = connection.connection is not None
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return was_open

    async def twice() -> tuple[bool, bool]:
        call = db.db_async(open_already)
        return await call(), await call()

    _first, second = asyncio.run(twice())
    db.executor().shutdown(wait=True)
    assert second  # not handed back (nor closed) between the calls
