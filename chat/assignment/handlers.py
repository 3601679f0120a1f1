"""Routing's reactions to domain events (registered in desk/event_handlers.py). Each runs after
the change that caused it has committed, in its own transaction with an idempotency marker; the
services they call are safe to run twice (a routed conversation is not routed again).

A drain of the queue runs after the handler's transaction commits, never inside it: there each
conversation it routes commits on its own. Inside one transaction a drain would hold every agent
row it claimed until the end, and two drains claiming the same agents in different orders
deadlock (chat/tests/test_assignment_concurrency.py found it). A drain lost to a crash after the
commit is made up by the queue's sweep."""

from django.db import transaction

from chat.assignment import offers, services
from chat.models import SenderType
from desk.kernel import domain_events
from routing.models import Presence


def _unassigned_customer_message(event: domain_events.Event) -> bool:
    payload = event.payload
    return (
        payload.get("sender_type") == SenderType.CUSTOMER
        and not payload.get("is_internal")
        and not payload.get("assigned")
    )


@domain_events.takes(_unassigned_customer_message)
def message_created_route(event: domain_events.Event) -> None:
    """A customer wrote in a conversation nobody has: an agent with room gets it, else the
    customer hears their place in the queue."""
    services.conversation_route_or_queue(conversation_id=event.conversation_id)


def conversation_released(event: domain_events.Event) -> None:
    """A slot was freed or a conversation was left open with nobody on it: route it again, and
    give the queue's heads to whoever has room now."""
    if event.payload.get("requeue"):
        services.conversation_route_or_queue(conversation_id=event.conversation_id, again=True)
    if event.payload.get("agent_id") is not None:
        _drain_after_commit()


def agent_presence_changed(event: domain_events.Event) -> None:
    """Offline: the agent's open conversations go to others (or back to the queue), and so do
    the offers waiting for their answer. Online: the queue's heads go to them. Any change:
    waiting customers hear whether anyone is online."""
    new = event.payload.get("new")
    if new == Presence.OFFLINE and event.payload.get("user_id"):
        services.agent_conversations_requeue(user_id=event.payload["user_id"])
        offers.agent_offers_withdraw(user_id=event.payload["user_id"])
    _drain_after_commit()


def _drain_after_commit() -> None:
    transaction.on_commit(services.queue_drain)
