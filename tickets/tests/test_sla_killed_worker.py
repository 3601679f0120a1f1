"""A worker killed in the middle of a sweep (SIGKILL, after it stamped its batch fired but
before it committed) loses nothing and fires nothing twice: the next sweep fires every one of
those timers exactly once."""

import os
import select
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from chat.tests.factories import CustomerFactory
from desk.models import OutboxEvent
from tickets.models import SlaTimer, TicketEvent, TicketSystemAction
from tickets.services import TicketData, ticket_create
from tickets.sla import timers
from tickets.tests.factories import SlaPolicyFactory

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# A sweeper whose batch hangs after `_fire` has stamped it, inside the sweep's transaction.
HANGING_SWEEPER = """
import sys, time
from datetime import datetime
import django
django.setup()
from tickets.sla import timers
fire = timers._fire
def fire_then_hang(due, now):
    fire(due, now)
    print("stamped", len(due), flush=True)
    time.sleep(300)
timers._fire = fire_then_hang
timers.sweep(now=datetime.fromisoformat(sys.argv[1]))
"""


def database_url() -> str:
    db = connection.settings_dict
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process on the same DB")
@pytest.mark.django_db(transaction=True)
def test_a_sweeper_killed_mid_batch_leaves_every_timer_to_fire_exactly_once_after():
    SlaPolicyFactory(name="P2", first_response_minutes=60, resolution_minutes=480)
    with mock.patch.object(timezone, "now", return_value=MONDAY):
        tickets = [
            ticket_create(actor=None, requester=CustomerFactory(), data=TicketData(subject="x"))
            for _ in range(3)
        ]
    later = MONDAY + timedelta(days=1)  # all 12 timers are due
    env = {**os.environ, "DATABASE_URL": database_url(), "UNIDESK_NO_BOOTSTRAP": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-c", HANGING_SWEEPER, later.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([worker.stdout], [], [], 60)
        assert ready, "the sweeper never reached its batch"
        assert worker.stdout.readline().split() == ["stamped", "12"]
    finally:
        worker.kill()  # SIGKILL: no cleanup, its transaction dies with its connection
        worker.wait(timeout=30)

    assert SlaTimer.objects.filter(fired_at=None).count() == 12  # nothing was lost
    assert OutboxEvent.objects.filter(type__startswith="ticket.sla_").count() == 0
    assert timers.sweep(now=later) == 12
    assert timers.sweep(now=later) == 0  # and nothing fires twice
    assert OutboxEvent.objects.filter(type="ticket.sla_warning").count() == 6
    assert OutboxEvent.objects.filter(type="ticket.sla_breached").count() == 6
    breaches = TicketEvent.objects.filter(action=TicketSystemAction.SLA_BREACHED)
    assert breaches.count() == 2 * len(tickets)
