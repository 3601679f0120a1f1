"""Customer messages from the widget that continue a ticket (转工单, customer side). The widget's
ticket endpoints (a ticket's state, CSAT) are tickets': tickets/tests/test_widget_ticket_api.py."""

import pytest

from chat.models import SenderType
from chat.tests.factories import WidgetSiteFactory
from chat.widget import sessions as widget_sessions
from chat.widget.services import widget_message_send
from routing.tests.factories import TeamFactory
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus
from tickets.tests.helpers import visitor_with_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", name="Shop", team=TeamFactory(name="Sales"))


# ---- the customer's chat continues the ticket -------------------------------------------------


def comments(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.COMMENT).values_list(
            "body", "message__client_msg_id"
        )
    )


@pytest.mark.parametrize("fast", [True, False])
def test_a_widget_message_lands_on_the_ticket_and_reopens_a_resolved_one(
    site, fast, django_capture_on_commit_callbacks
):
    _, visitor, conversation, ticket = visitor_with_ticket(site)

    # The ticket hears of the message after its commit (tickets/handlers.py).
    with django_capture_on_commit_callbacks(execute=True):
        result = widget_message_send(
            visitor=visitor,
            client_msg_id="c-1",
            body="It broke again",
            conversation_id=conversation.pk if fast else None,
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = widget_message_send(
            visitor=visitor, client_msg_id="c-1", body="It broke again", conversation_id=None
        )

    assert result.created and not again.created
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert comments(ticket) == [("It broke again", "c-1")]
    card = conversation.messages.filter(sender_type=SenderType.SYSTEM).order_by("seq").last()
    assert card.payload["status"] == "open"
    assert card.payload["old_status"] == "resolved"


def test_a_widget_message_to_a_closed_ticket_is_not_added(site, django_capture_on_commit_callbacks):
    _, visitor, conversation, ticket = visitor_with_ticket(site, status=TicketStatus.CLOSED)

    with django_capture_on_commit_callbacks(execute=True):
        widget_message_send(
            visitor=visitor, client_msg_id="c-1", body="Hello?", conversation_id=conversation.pk
        )

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert comments(ticket) == []
    assert Ticket.objects.count() == 1


def test_a_widget_message_may_fire_a_keyword_trigger(site, django_capture_on_commit_callbacks):
    from tickets.models import KeywordTrigger
    from tickets.sources import keywords as triggers

    KeywordTrigger.objects.create(name="Refunds", keywords="退款")
    triggers.active_triggers_forget()
    session = widget_sessions.widget_session_open(site=site)

    with django_capture_on_commit_callbacks(execute=True):
        widget_message_send(visitor=session.visitor, client_msg_id="c-1", body="我要退款")

    triggers.active_triggers_forget()
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.requester_id) == ("keyword", session.visitor.customer_id)
