"""Ticket numbers are `T-YYYYMMDD-NNNN`, consecutive per day and unique under concurrency."""

import datetime
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from chat.tests.factories import CustomerFactory
from tickets.models import TicketEvent, TicketNumberSequence
from tickets.services import TicketData, ticket_create, ticket_number_next
from tickets.tests.factories import TicketEventFactory

THREADS = 8


def _create(subject: str = "Broken"):
    return ticket_create(actor=None, requester=CustomerFactory(), data=TicketData(subject=subject))


@pytest.mark.django_db
def test_number_has_the_day_and_four_digits():
    ticket = _create()

    assert re.fullmatch(r"T-\d{8}-\d{4}", ticket.number)
    assert ticket.number == f"T-{timezone.localdate():%Y%m%d}-0001"


@pytest.mark.django_db
def test_numbers_are_consecutive_within_a_day():
    numbers = [_create(f"t{i}").number for i in range(3)]

    day = f"{timezone.localdate():%Y%m%d}"
    assert numbers == [f"T-{day}-0001", f"T-{day}-0002", f"T-{day}-0003"]


@pytest.mark.django_db
def test_a_new_day_starts_again_at_0001(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2026, 3, 1))
    first = [_create().number, _create().number]
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2026, 3, 2))
    second = _create().number

    assert first == ["T-20260301-0001", "T-20260301-0002"]
    assert second == "T-20260302-0001"
    assert dict(TicketNumberSequence.objects.values_list("day", "last")) == {
        datetime.date(2026, 3, 1): 2,
        datetime.date(2026, 3, 2): 1,
    }


@pytest.mark.django_db
def test_number_for_an_explicit_day_continues_that_days_sequence():
    TicketNumberSequence.objects.create(day=datetime.date(2026, 1, 5), last=41)

    assert ticket_number_next(day=datetime.date(2026, 1, 5)) == "T-20260105-0042"
    assert ticket_number_next(day=datetime.date(2026, 1, 6)) == "T-20260106-0001"


@pytest.mark.django_db
def test_created_ticket_has_a_created_event():
    ticket = _create()

    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_consecutive_numbers():
    requester = CustomerFactory()
    barrier = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            ticket = ticket_create(
                actor=None, requester=requester, data=TicketData(subject=f"race {i}")
            )
            with lock:
                numbers.append(ticket.number)
        except BaseException as exc:  # reported below, a thread must not swallow it
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    day = f"{timezone.localdate():%Y%m%d}"
    assert sorted(numbers) == [f"T-{day}-{n:04d}" for n in range(1, THREADS + 1)]


@pytest.mark.django_db
def test_ticket_event_cannot_be_changed():
    event = TicketEventFactory(body="first words")
    event.body = "rewritten"

    with pytest.raises(ValidationError):
        event.save()

    assert TicketEvent.objects.get(pk=event.pk).body == "first words"


@pytest.mark.django_db
def test_ticket_event_cannot_be_deleted():
    event = TicketEventFactory()

    with pytest.raises(ValidationError):
        event.delete()

    assert TicketEvent.objects.filter(pk=event.pk).exists()
