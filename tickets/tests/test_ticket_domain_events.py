"""What a ticket change records for those who react to it (notifications today; SLA, automation,
webhooks next): one typed domain event per change, in the change's own transaction, with the
ids and a small payload (desk/kernel/domain_events, the `ticket.*` types)."""

import pytest

from chat.services import message_create
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.kernel.domain_events.models import OutboxEvent
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.customer_services import ticket_customer_reply, ticket_on_customer_message
from tickets.errors import TicketError
from tickets.models import Tag, TicketEvent, TicketEventKind
from tickets.services import (
    TicketData,
    ticket_create,
    ticket_create_from_conversation,
    ticket_merge,
    ticket_reply,
    ticket_update_fields,
)
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol():
    return AgentProfileFactory(user__username="carol")


@pytest.fixture
def lina():
    return AgentProfileFactory(user__username="lina")


def recorded(type_: str) -> list[tuple]:
    """(ticket_id, conversation_id, message_id, payload) of each event of this type, in order."""
    return list(
        OutboxEvent.objects.filter(type=type_)
        .order_by("pk")
        .values_list("ticket_id", "conversation_id", "message_id", "payload")
    )


def test_a_ticket_made_from_a_chat_records_ticket_created(carol, lina):
    team = TeamFactory()
    chat = ConversationFactory(assignee=lina.user, team=team)
    message_create(conversation=chat, sender_type="customer", body="My parcel is lost")

    ticket = ticket_create_from_conversation(
        actor=carol.user, conversation=chat, data=TicketData(subject=""), source="button"
    ).ticket
    again = ticket_create_from_conversation(
        actor=carol.user, conversation=chat, data=TicketData(subject=""), source="keyword"
    )

    assert again.created is False
    assert recorded("ticket.created") == [
        (
            ticket.pk,
            chat.pk,
            None,
            {
                "source": "button",
                "actor_id": carol.user_id,
                "priority": 2,
                "team_id": team.pk,
                "assignee_id": None,
                "conversation_assignee_id": lina.user_id,
            },
        )
    ]


def test_a_manual_ticket_records_ticket_created_without_a_chat(carol):
    made = ticket_create(
        actor=None,
        requester=CustomerFactory(),
        data=TicketData(subject="Invoice", priority=1, assignee=carol.user),
    )

    assert recorded("ticket.created") == [
        (
            made.pk,
            None,
            None,
            {
                "source": "manual",
                "actor_id": None,
                "priority": 1,
                "team_id": None,
                "assignee_id": carol.user_id,
                "conversation_assignee_id": None,
            },
        )
    ]


def test_a_field_change_records_ticket_updated_with_old_and_new_values(carol, lina):
    team = TeamFactory()
    ticket = TicketFactory(subject="Old", priority=2)
    Tag.objects.create(name="vip")

    ticket_update_fields(
        actor=carol.user,
        ticket=ticket,
        changes={
            "assignee": lina.user,
            "status": "open",
            "priority": 1,
            "team": team,
            "subject": "New",
            "description": "a long text is only named",
            "tags": ["vip"],
        },
    )

    ((ticket_id, conversation_id, message_id, payload),) = recorded("ticket.updated")
    assert (ticket_id, conversation_id, message_id) == (ticket.pk, None, None)
    assert payload == {
        "actor_id": carol.user_id,
        "actor_customer_id": None,
        "fields": ["assignee", "description", "priority", "status", "subject", "tags", "team"],
        "changes": {
            "assignee": {"old": None, "new": lina.user_id},
            "status": {"old": "new", "new": "open"},
            "priority": {"old": 2, "new": 1},
            "team": {"old": None, "new": team.pk},
            "subject": {"old": "Old", "new": "New"},
        },
    }


def test_a_change_that_changes_nothing_or_is_refused_records_nothing(carol):
    ticket = TicketFactory(priority=2)

    ticket_update_fields(actor=carol.user, ticket=ticket, changes={"priority": 2, "tags": []})
    with pytest.raises(TicketError):
        ticket_update_fields(
            actor=carol.user, ticket=ticket, changes={"priority": 1, "tags": [" "]}
        )

    assert recorded("ticket.updated") == []


def test_agent_replies_and_notes_record_comment_added_with_their_timeline_row(carol):
    chat = ConversationFactory()
    message_create(conversation=chat, sender_type="customer", body="Hello")
    ticket = ticket_create_from_conversation(
        actor=carol.user, conversation=chat, data=TicketData(subject="x"), source="button"
    ).ticket

    first = ticket_reply(actor=carol.user, ticket=ticket, body="We are on it", internal=False)
    note = ticket_reply(actor=carol.user, ticket=ticket, body="@lina have a look", internal=True)
    second = ticket_reply(actor=carol.user, ticket=ticket, body="Sent today", internal=False)

    assert recorded("ticket.comment_added") == [
        (
            ticket.pk,
            chat.pk,
            first.message.pk,
            {
                "timeline_event_id": first.event.pk,
                "actor_id": carol.user_id,
                "internal": False,
                "first_response": True,
            },
        ),
        (
            ticket.pk,
            chat.pk,
            None,
            {
                "timeline_event_id": note.event.pk,
                "actor_id": carol.user_id,
                "internal": True,
                "first_response": False,
            },
        ),
        (
            ticket.pk,
            chat.pk,
            second.message.pk,
            {
                "timeline_event_id": second.event.pk,
                "actor_id": carol.user_id,
                "internal": False,
                "first_response": False,
            },
        ),
    ]
    assert TicketEvent.objects.get(pk=note.event.pk).body == "@lina have a look"


def test_a_customer_reply_records_customer_replied_and_the_reopening(carol, lina):
    ticket = TicketFactory(assignee=lina.user, status="resolved")

    comment = ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Not fixed")

    assert comment.kind == TicketEventKind.COMMENT
    assert recorded("ticket.customer_replied") == [
        (
            ticket.pk,
            None,
            None,
            {
                "timeline_event_id": comment.pk,
                "customer_id": ticket.requester_id,
                "assignee_id": lina.user_id,
            },
        )
    ]
    assert recorded("ticket.updated") == [
        (
            ticket.pk,
            None,
            None,
            {
                "actor_id": None,
                "actor_customer_id": ticket.requester_id,
                "fields": ["status"],
                "changes": {"status": {"old": "resolved", "new": "open"}},
            },
        )
    ]


def test_a_chat_message_on_a_ticket_records_customer_replied_with_the_message(carol):
    chat = ConversationFactory()
    ticket = ticket_create_from_conversation(
        actor=carol.user, conversation=chat, data=TicketData(subject="x"), source="button"
    ).ticket
    message = message_create(conversation=chat, sender_type="customer", body="Still broken").message

    comment = ticket_on_customer_message(message=message)
    ticket_on_customer_message(message=message)  # offered twice: one comment, one event

    assert recorded("ticket.customer_replied") == [
        (
            ticket.pk,
            chat.pk,
            message.pk,
            {
                "timeline_event_id": comment.pk,
                "customer_id": chat.customer_id,
                "assignee_id": None,
            },
        )
    ]


def test_a_merge_records_the_source_closing(carol):
    source, target = TicketFactory(status="open"), TicketFactory()

    ticket_merge(actor=carol.user, source=source, target=target)

    assert recorded("ticket.updated") == [
        (
            source.pk,
            None,
            None,
            {
                "actor_id": carol.user_id,
                "actor_customer_id": None,
                "fields": ["status"],
                "changes": {"status": {"old": "open", "new": "closed"}},
            },
        )
    ]
