"""Reading what a ticket said in its conversation; a widget visitor with a ticket; racing
sweepers."""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

from chat.models import ContentType, Message
from chat.widget import sessions as widget_sessions
from chat.widget.services import visitor_conversation_start
from tickets.models import TicketSource, TicketStatus
from tickets.services import TicketData, ticket_create_from_conversation, ticket_update_fields

T = TypeVar("T")


def customer_events(published: list, conversation_id: int) -> list[dict]:
    """The messages the customer's widget heard for one conversation, in order (not routing's
    `queue.update`: an unassigned test conversation may be queued when its events drain)."""
    group = f"conv.{conversation_id}.customer"
    return [
        event for groups, event in published if group in groups and event["type"] == "message.new"
    ]


def ticket_cards(conversation) -> list[Message]:
    """The conversation's ticket messages (creation and status cards), in `seq` order."""
    return list(
        Message.objects.filter(conversation=conversation, content_type=ContentType.TICKET).order_by(
            "seq"
        )
    )


def visitor_with_ticket(site, status=TicketStatus.RESOLVED, subject="Broken kettle"):
    """(visitor token, visitor, conversation, ticket made from the visitor's conversation)."""
    session = widget_sessions.widget_session_open(site=site)
    conversation, _ = visitor_conversation_start(visitor=session.visitor)
    ticket = ticket_create_from_conversation(
        actor=None,
        conversation=conversation,
        data=TicketData(subject=subject),
        source=TicketSource.BUTTON,
    ).ticket
    if status != TicketStatus.NEW:
        ticket = ticket_update_fields(actor=None, ticket=ticket, changes={"status": status})
    return session.token, session.visitor, conversation, ticket


def run_together(work: Callable[[], T], *, times: int = 2) -> list[T]:
    """`work` in `times` threads started at the same moment, each on its own database
    connection (two sweepers racing); their results, and any error raised again here."""
    barrier = threading.Barrier(times)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:  # raised again below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results
