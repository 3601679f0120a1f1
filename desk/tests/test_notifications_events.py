"""Notifications ride on the tickets' domain events: the event is recorded in the ticket's own
transaction (a rollback leaves neither event nor notification), the notification is written
and pushed only after that commit, and an event handled twice notifies once
(desk/notifications/handlers.py)."""

import threading
import time

import pytest
from django.db import connection, transaction

from chat.tests.factories import ConversationFactory
from desk.kernel import realtime
from desk.kernel.domain_events import dispatch
from desk.kernel.domain_events.models import HandledEvent, OutboxEvent
from desk.models import Notification
from routing.tests.factories import AgentProfileFactory
from tickets.customer_services import ticket_customer_reply
from tickets.models import TicketEvent
from tickets.services import (
    TicketData,
    ticket_create_from_conversation,
    ticket_reply,
    ticket_update_fields,
)
from tickets.tests.factories import TicketFactory


class Boom(Exception):
    pass


@pytest.fixture
def sent(monkeypatch):
    """The `notification` events really sent (after their transaction committed), as
    (groups, event)."""
    out: list[tuple[list[str], dict]] = []

    def send_now(groups, event):
        if event["type"] == "notification":
            out.append((list(groups), event))

    monkeypatch.setattr(realtime, "send_now", send_now)
    return out


@pytest.fixture
def carol(db):
    return AgentProfileFactory(user__username="carol", display_name="Carol")


@pytest.fixture
def lina(db):
    return AgentProfileFactory(user__username="lina", display_name="Lina")


def mentions() -> list[tuple[str, str]]:
    return list(Notification.objects.order_by("pk").values_list("recipient__username", "kind"))


# ---- the event belongs to the ticket's transaction ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_note_leaves_no_event_and_no_notification(sent, carol, lina):
    ticket = TicketFactory()

    with pytest.raises(Boom), transaction.atomic():
        ticket_reply(actor=carol.user, ticket=ticket, body="@lina look", internal=True)
        assert OutboxEvent.objects.filter(type="ticket.comment_added").count() == 1
        raise Boom

    assert not OutboxEvent.objects.filter(type="ticket.comment_added").exists()
    assert Notification.objects.count() == 0
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_the_notification_is_written_and_pushed_only_after_the_ticket_commits(sent, carol, lina):
    ticket = TicketFactory()

    with transaction.atomic():
        reply = ticket_reply(actor=carol.user, ticket=ticket, body="@lina look", internal=True)
        (event,) = OutboxEvent.objects.filter(type="ticket.comment_added")
        assert (event.ticket_id, event.payload["timeline_event_id"]) == (ticket.pk, reply.event.pk)
        assert Notification.objects.count() == 0  # not inside the ticket's transaction

    assert mentions() == [("lina", "mention")]
    ((groups, pushed),) = sent
    assert groups == [realtime.agent_group(lina.user_id)]
    assert pushed["notification"]["id"] == Notification.objects.get().pk
    event.refresh_from_db()
    assert event.done_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_failing_notification_handler_does_not_undo_the_ticket_change(
    sent, carol, lina, monkeypatch
):
    """The reaction is outside the ticket's transaction: it fails alone, and is retried."""
    from desk.notifications import services

    def broken(**kwargs):
        raise Boom("the bell is down")

    ticket = TicketFactory()
    with monkeypatch.context() as patched:
        patched.setattr(services, "notify_mentions", broken)
        reply = ticket_reply(actor=carol.user, ticket=ticket, body="@lina look", internal=True)

    assert TicketEvent.objects.filter(pk=reply.event.pk).exists()
    event = OutboxEvent.objects.get(type="ticket.comment_added")
    assert (event.done_at, event.attempts) == (None, 1)
    assert "the bell is down" in event.last_error
    assert Notification.objects.count() == 0
    assert sent == []

    assert dispatch.dispatch([event.pk]) == 1  # the retry

    assert mentions() == [("lina", "mention")]
    assert len(sent) == 1


# ---- handled twice, notified once ---------------------------------------------------------------


def _mention(carol, lina):
    ticket_reply(actor=carol.user, ticket=TicketFactory(), body="@lina see this", internal=True)


def _customer_reply(carol, lina):
    ticket = TicketFactory(assignee=lina.user)
    ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Any news?")


def _assigned(carol, lina):
    ticket_update_fields(actor=carol.user, ticket=TicketFactory(), changes={"assignee": lina.user})


def _created(carol, lina):
    ticket_create_from_conversation(
        actor=carol.user,
        conversation=ConversationFactory(assignee=lina.user),
        data=TicketData(subject="Lost parcel"),
        source="button",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (_mention, "mention"),
        (_customer_reply, "ticket_reply"),
        (_assigned, "ticket_assigned"),
        (_created, "ticket_created"),
    ],
)
def test_an_event_handled_twice_notifies_once(
    action, kind, sent, carol, lina, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        action(carol, lina)
    assert mentions() == [("lina", kind)]
    assert len(sent) == 1
    ticket_events = OutboxEvent.objects.filter(type__startswith="ticket.")
    events = list(ticket_events.filter(done_at__isnull=False).values_list("pk", flat=True))
    assert events
    # A process died after the handlers committed but before the events were marked done: the
    # sweep hands them out again.
    ticket_events.update(done_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.dispatch(events) == len(events)

    assert mentions() == [("lina", kind)]
    assert len(sent) == 1
    assert HandledEvent.objects.filter(handler__startswith="desk.notifications.").count() == len(
        events
    )


# ---- two workers, two replies, one notification -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_replies_handled_at_once_notify_the_assignee_once(sent, lina):
    """Worker A has written its `ticket_reply` notification but not committed yet when worker B
    handles the next reply: B waits for A's lock on the assignee and then finds it unread,
    instead of finding nothing and notifying a second time."""
    from desk.notifications import services

    ticket = TicketFactory(assignee=lina.user)
    a_wrote, b_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def reply(text: str) -> None:
        services.notify_customer_reply(
            ticket=ticket, assignee=lina.user, customer_name="Customer", body=text
        )

    def worker_a() -> None:
        try:
            with transaction.atomic():
                reply("first")
                a_wrote.set()
                b_started.wait(timeout=10)
                time.sleep(0.5)  # B is now at the lock (or, without it, past the check)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def worker_b() -> None:
        try:
            a_wrote.wait(timeout=10)
            b_started.set()
            with transaction.atomic():
                reply("second")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert list(Notification.objects.values_list("excerpt", flat=True)) == ["first"]
    assert len(sent) == 1
