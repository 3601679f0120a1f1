"""The live two-way link: ticket progress and public replies reach the chat, the customer's words
reach the ticket, internal notes stay inside."""

import pytest
from django.utils import translation

from chat.models import ConversationStatus, Message
from chat.services import conversation_update_fields, message_create
from chat.tests.factories import AttachmentFactory, ConversationFactory, CustomerFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.customer_services import ticket_customer_reply, ticket_on_customer_message
from tickets.errors import TicketError
from tickets.models import TicketEvent
from tickets.selectors import ticket_get_for_agent
from tickets.services import (
    TicketData,
    ticket_create_from_conversation,
    ticket_reply,
    ticket_update_fields,
)
from tickets.tests.factories import TicketFactory, conversation_ticket
from tickets.tests.helpers import customer_events, ticket_cards

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol():
    return AgentProfileFactory(display_name="Carol")


def _ticket_from_chat(agent_user, *, language: str = "en", status: str | None = None):
    conversation = ConversationFactory(customer=CustomerFactory(language=language))
    message_create(conversation=conversation, sender_type="customer", body="My parcel is lost")
    ticket = ticket_create_from_conversation(
        actor=agent_user, conversation=conversation, data=TicketData(subject=""), source="button"
    ).ticket
    if status:
        ticket_update_fields(actor=agent_user, ticket=ticket, changes={"status": status})
    return ticket, conversation


def _events(ticket) -> list[tuple]:
    return list(
        ticket.events.values_list("kind", "actor", "actor_customer", "old_value", "new_value")
    )


# ---- status cards ---------------------------------------------------------------------------


def test_every_status_change_tells_the_customer(carol):
    ticket, conversation = _ticket_from_chat(carol.user)
    ticket_update_fields(actor=carol.user, ticket=ticket, changes={"assignee": carol.user})

    for status in ["open", "in_progress", "pending", "resolved", "closed", "open"]:
        ticket_update_fields(actor=carol.user, ticket=ticket, changes={"status": status})

    n = ticket.number
    cards = ticket_cards(conversation)
    assert [card.body for card in cards] == [
        f"We have created ticket {n} for your request. Its progress will appear here.",
        f"Ticket {n} has been accepted.",
        f"Ticket {n} is being worked on.",
        f"Ticket {n} is waiting for your reply.",
        f"Ticket {n} has been resolved.",
        f"Ticket {n} has been closed.",
        f"Ticket {n} has been reopened.",
    ]
    assert [(c.payload["event"], c.payload["old_status"], c.payload["status"]) for c in cards] == [
        ("ticket.created", "", "new"),
        ("ticket.status", "new", "open"),
        ("ticket.status", "open", "in_progress"),
        ("ticket.status", "in_progress", "pending"),
        ("ticket.status", "pending", "resolved"),
        ("ticket.status", "resolved", "closed"),
        ("ticket.status", "closed", "open"),
    ]
    assert {c.payload["assignee_name"] for c in cards[1:]} == {"Carol"}
    assert all(c.sender_type == "system" and not c.is_internal for c in cards)
    assert [c.seq for c in cards] == sorted(c.seq for c in cards)


def test_status_cards_speak_chinese_to_a_chinese_customer(carol):
    ticket, conversation = _ticket_from_chat(carol.user, language="zh-hans")

    for status in ["open", "in_progress", "pending", "resolved"]:
        ticket_update_fields(actor=carol.user, ticket=ticket, changes={"status": status})

    n = ticket.number
    assert [card.body for card in ticket_cards(conversation)[1:]] == [
        f"工单 {n} 已受理。",
        f"工单 {n} 正在处理中。",
        f"工单 {n} 正在等待您的反馈。",
        f"工单 {n} 已解决。",
    ]


def test_status_card_is_pushed_to_the_widget_after_commit(
    carol, published, django_capture_on_commit_callbacks
):
    ticket, conversation = _ticket_from_chat(carol.user)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_update_fields(actor=carol.user, ticket=ticket, changes={"status": "open"})

    (event,) = customer_events(published, conversation.pk)
    assert event["type"] == "message.new"
    assert event["message"]["content_type"] == "ticket"
    assert event["message"]["payload"]["status"] == "open"
    assert "is_internal" not in event["message"]


def test_other_changes_and_tickets_without_a_chat_post_nothing(carol):
    ticket, conversation = _ticket_from_chat(carol.user)
    lone = TicketFactory(status="new")

    ticket_update_fields(actor=carol.user, ticket=ticket, changes={"priority": 0, "subject": "X"})
    ticket_update_fields(actor=carol.user, ticket=lone, changes={"status": "open"})

    assert len(ticket_cards(conversation)) == 1
    assert not Message.objects.exclude(conversation=conversation).exists()


# ---- agent replies --------------------------------------------------------------------------


def test_public_reply_goes_to_the_customer_and_onto_the_timeline(
    carol, published, django_capture_on_commit_callbacks
):
    ticket, conversation = _ticket_from_chat(carol.user)

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(
            actor=carol.user, ticket=ticket, body="  We found it.  ", internal=False
        )

    message = reply.message
    assert (message.sender_type, message.sender_user, message.body) == (
        "agent",
        carol.user,
        "We found it.",
    )
    assert message.is_internal is False
    assert message.payload == {"ticket_id": ticket.pk, "number": ticket.number}
    event = reply.event
    assert (event.kind, event.actor, event.body, event.message) == (
        "comment",
        carol.user,
        "We found it.",
        message,
    )
    (pushed,) = customer_events(published, conversation.pk)
    assert (pushed["message"]["body"], pushed["message"]["sender"]) == (
        "We found it.",
        {"name": "Carol", "avatar_url": ""},
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_only_the_first_public_reply_stamps_first_response(carol):
    ticket, _conversation = _ticket_from_chat(carol.user)
    ticket_reply(actor=carol.user, ticket=ticket, body="One", internal=False)
    ticket.refresh_from_db()
    first = ticket.first_responded_at

    ticket_reply(actor=carol.user, ticket=ticket, body="Two", internal=False)

    ticket.refresh_from_db()
    assert ticket.first_responded_at == first


def test_internal_note_never_reaches_the_customer(
    carol, published, django_capture_on_commit_callbacks
):
    ticket, conversation = _ticket_from_chat(carol.user)
    before = Message.objects.filter(conversation=conversation).count()

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(actor=carol.user, ticket=ticket, body="Customer is VIP", internal=True)

    assert reply.message is None
    assert (reply.event.kind, reply.event.body, reply.event.message) == (
        "note",
        "Customer is VIP",
        None,
    )
    assert Message.objects.filter(conversation=conversation).count() == before
    # Only the agents hear of the note (ticket.update); nothing goes to the customer.
    assert customer_events(published, conversation.pk) == []
    routing = {"queue.update", "routing.changed"}  # the chat's place in the queue, if it waits
    assert [event["type"] for _groups, event in published if event["type"] not in routing] == [
        "ticket.update"
    ]
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_public_reply_reaches_a_closed_conversation_and_works_without_one(carol):
    ticket, conversation = _ticket_from_chat(carol.user)
    type(conversation).objects.filter(pk=conversation.pk).update(status=ConversationStatus.CLOSED)
    lone = TicketFactory()

    into_closed = ticket_reply(actor=carol.user, ticket=ticket, body="Update", internal=False)
    without_chat = ticket_reply(actor=carol.user, ticket=lone, body="Update", internal=False)

    assert into_closed.message.conversation_id == conversation.pk
    assert without_chat.message is None
    assert without_chat.event.kind == "comment"


def test_empty_replies_and_public_replies_to_closed_tickets_are_refused(carol):
    ticket, _conversation = _ticket_from_chat(carol.user, status="closed")
    messages = Message.objects.count()
    events = TicketEvent.objects.count()

    with pytest.raises(TicketError) as empty:
        ticket_reply(actor=carol.user, ticket=ticket, body="  \n ", internal=True)
    with pytest.raises(TicketError) as closed:
        ticket_reply(actor=carol.user, ticket=ticket, body="Hello?", internal=False)

    assert (empty.value.code, closed.value.code) == ("empty_body", "ticket_closed")
    assert (Message.objects.count(), TicketEvent.objects.count()) == (messages, events)
    note = ticket_reply(actor=carol.user, ticket=ticket, body="Archived", internal=True)
    assert note.event.kind == "note"


def test_a_public_reply_never_goes_into_a_chat_the_agent_cannot_read(carol):
    """The ticket moved to Billing, the chat stayed with Sales: a Billing agent reaches the
    ticket but not the chat, so their public reply is refused (notes still work); once the chat
    is theirs too, it goes through."""
    sales, billing = TeamFactory(name="Sales"), TeamFactory(name="Billing")
    biller = AgentProfileFactory(teams=[billing])
    conversation = ConversationFactory(team=sales)
    message_create(conversation=conversation, sender_type="customer", body="Refund please")
    ticket = ticket_create_from_conversation(
        actor=carol.user, conversation=conversation, data=TicketData(subject=""), source="button"
    ).ticket
    ticket_update_fields(actor=carol.user, ticket=ticket, changes={"team": billing})
    assert ticket_get_for_agent(biller.user, ticket.pk) is not None
    messages, events = Message.objects.count(), TicketEvent.objects.count()

    with pytest.raises(TicketError) as refused:
        ticket_reply(actor=biller.user, ticket=ticket, body="Refunded.", internal=False)

    assert refused.value.code == "chat_out_of_scope"
    assert (Message.objects.count(), TicketEvent.objects.count()) == (messages, events)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    note = ticket_reply(actor=biller.user, ticket=ticket, body="Refund sent", internal=True)
    assert (note.event.kind, note.message) == ("note", None)
    conversation_update_fields(
        actor=carol.user, conversation=conversation, changes={"team": billing}
    )
    reply = ticket_reply(actor=biller.user, ticket=ticket, body="Refunded.", internal=False)
    assert (reply.message.conversation_id, reply.message.body) == (conversation.pk, "Refunded.")


# ---- the customer's side --------------------------------------------------------------------


def test_customer_reply_reopens_a_resolved_ticket(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="resolved")
    customer = conversation.customer
    known = ticket.events.count()  # created, status new → resolved

    event = ticket_customer_reply(ticket=ticket, customer=customer, body=" Still broken ")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == ("open", None)
    assert _events(ticket)[known:] == [
        ("comment", None, customer.pk, "", ""),
        ("status", None, customer.pk, "resolved", "open"),
    ]
    assert event.body == "Still broken"
    assert ticket_cards(conversation)[-1].body == f"Ticket {ticket.number} has been reopened."


def test_customer_reply_to_a_pending_ticket_puts_it_back_to_open(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="pending")

    ticket_customer_reply(ticket=ticket, customer=conversation.customer, body="Here it is")

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket_cards(conversation)[-1].body == (
        f"Thank you for your reply. Ticket {ticket.number} is back with our team."
    )


def test_customer_reply_to_a_ticket_in_progress_only_adds_a_comment(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="in_progress")
    cards = len(ticket_cards(conversation))

    ticket_customer_reply(ticket=ticket, customer=conversation.customer, body="Any news?")

    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.events.last().kind == "comment"
    assert len(ticket_cards(conversation)) == cards


def test_customer_reply_is_refused_for_strangers_closed_tickets_and_empty_text(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="resolved")
    closed, _other = _ticket_from_chat(carol.user, status="closed")
    events = TicketEvent.objects.count()

    with pytest.raises(TicketError) as stranger:
        ticket_customer_reply(ticket=ticket, customer=CustomerFactory(), body="Hi")
    with pytest.raises(TicketError) as done:
        ticket_customer_reply(ticket=closed, customer=closed.requester, body="Hi")
    with pytest.raises(TicketError) as empty:
        ticket_customer_reply(ticket=ticket, customer=conversation.customer, body=" ")

    assert [e.value.code for e in (stranger, done, empty)] == [
        "not_requester",
        "ticket_closed",
        "empty_body",
    ]
    assert TicketEvent.objects.count() == events
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_refusals_are_translated():
    ticket = TicketFactory(status="closed")

    with translation.override("zh-hans"), pytest.raises(TicketError) as caught:
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Hi")

    assert caught.value.message == "工单已关闭。"


def _customer_says(conversation, body: str = "", **kwargs) -> Message:
    return message_create(
        conversation=conversation, sender_type="customer", body=body, **kwargs
    ).message


def test_a_chat_message_lands_on_the_open_ticket_once(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="in_progress")
    message = _customer_says(conversation, "Order SO-1001")

    first = ticket_on_customer_message(message=message)
    again = ticket_on_customer_message(message=message)

    assert first.pk == again.pk
    assert (first.ticket, first.kind, first.body, first.message) == (
        ticket,
        "comment",
        "Order SO-1001",
        message,
    )
    assert first.actor_customer == conversation.customer
    assert TicketEvent.objects.filter(message=message).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_a_chat_message_reopens_a_resolved_ticket_and_lists_attachments(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="resolved")
    photo = AttachmentFactory(conversation=conversation, original_name="photo.png")
    message = _customer_says(conversation, "Still broken", attachment_ids=[photo.pk])

    event = ticket_on_customer_message(message=message)

    assert event.body == "Still broken\n[photo.png]"
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert list(ticket.events.values_list("kind", "old_value", "new_value"))[-2:] == [
        ("comment", "", ""),
        ("status", "resolved", "open"),
    ]


def test_a_chat_message_prefers_the_ticket_that_still_needs_work(carol):
    ticket, conversation = _ticket_from_chat(carol.user, status="in_progress")
    resolved = conversation_ticket(conversation, status="resolved")  # newer, but done

    event = ticket_on_customer_message(message=_customer_says(conversation, "Hi"))

    assert event.ticket == ticket
    resolved.refresh_from_db()
    assert resolved.status == "resolved"


def test_a_chat_message_follows_a_merge(carol):
    ticket, conversation = _ticket_from_chat(carol.user)
    target = TicketFactory(status="open")
    ticket_update_fields(actor=carol.user, ticket=ticket, changes={"status": "closed"})
    ticket.merged_into = target
    ticket.save()

    event = ticket_on_customer_message(message=_customer_says(conversation, "Hi"))

    assert event.ticket == target


def test_messages_that_do_not_belong_on_a_ticket_are_ignored(carol):
    _ticket, conversation = _ticket_from_chat(carol.user, status="open")
    _closed, closed_chat = _ticket_from_chat(carol.user, status="closed")
    bare = ConversationFactory()
    events = TicketEvent.objects.count()

    results = [
        ticket_on_customer_message(
            message=message_create(
                conversation=conversation, sender_type="agent", sender_user=carol.user, body="Hi"
            ).message
        ),
        ticket_on_customer_message(message=_customer_says(conversation, "note?", is_internal=True)),
        ticket_on_customer_message(message=_customer_says(closed_chat, "Hello again")),
        ticket_on_customer_message(message=_customer_says(bare, "No ticket here")),
    ]

    assert results == [None, None, None, None]
    assert TicketEvent.objects.count() == events
