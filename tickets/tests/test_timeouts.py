"""转工单 way 4: a conversation nobody answered in time becomes a ticket, once."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation
from chat.services import message_create
from chat.tests.factories import ConversationFactory
from tickets import tasks
from tickets.models import Ticket, TicketAutomation, TicketSource, TicketStatus
from tickets.services import ticket_update_fields
from tickets.sources import timeout as timeouts
from tickets.sources.timeout import tickets_for_waiting_conversations
from tickets.tests.helpers import ticket_cards

pytestmark = pytest.mark.django_db
WAIT = timedelta(minutes=30)


def waiting_since(minutes: int) -> Conversation:
    conversation = ConversationFactory(status="waiting")
    message_create(conversation=conversation, sender_type="customer", body="anyone there?")
    at = timezone.now() - timedelta(minutes=minutes)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=at)
    return Conversation.objects.get(pk=conversation.pk)


def test_only_conversations_waiting_longer_than_the_limit_become_tickets():
    late = waiting_since(31)
    waiting_since(5)
    answered = waiting_since(60)
    message_create(conversation=answered, sender_type="agent", body="Hi!")  # now open
    Conversation.objects.filter(pk=answered.pk).update(
        last_message_at=timezone.now() - timedelta(minutes=60)
    )

    made = tickets_for_waiting_conversations(waited=WAIT)
    ticket = Ticket.objects.get()
    assert made == [ticket.pk]
    assert (ticket.conversation_id, ticket.source) == (late.pk, TicketSource.TIMEOUT)
    assert "anyone there?" in ticket.description
    assert len(ticket_cards(late)) == 1  # the customer is told the ticket number

    assert tickets_for_waiting_conversations(waited=WAIT) == []  # the next sweep: nothing new
    assert Ticket.objects.count() == 1


def test_a_closed_timeout_ticket_is_not_made_again_until_the_customer_writes_again():
    conversation = waiting_since(45)
    (first,) = tickets_for_waiting_conversations(waited=WAIT)
    ticket_update_fields(
        actor=None, ticket=Ticket.objects.get(pk=first), changes={"status": TicketStatus.CLOSED}
    )
    assert tickets_for_waiting_conversations(waited=WAIT) == []

    message_create(conversation=conversation, sender_type="customer", body="still waiting")
    later = timezone.now() + timedelta(minutes=31)
    assert len(tickets_for_waiting_conversations(waited=WAIT, now=later)) == 1
    assert Ticket.objects.count() == 2


def test_the_beat_task_uses_the_setting_and_zero_turns_it_off():
    waiting_since(20)
    with override_settings(TICKET_AFTER_WAITING_MINUTES=0):
        assert tasks.waiting_conversations_sweep() == 0
    with override_settings(TICKET_AFTER_WAITING_MINUTES=30):
        assert tasks.waiting_conversations_sweep() == 0
    with override_settings(TICKET_AFTER_WAITING_MINUTES=15):
        assert tasks.waiting_conversations_sweep() == 1


def test_the_admins_setting_wins_over_the_variable(supervisor_client):
    waiting_since(20)
    add = reverse("admin:tickets_ticketautomation_add")
    change = reverse("admin:tickets_ticketautomation_change", args=[1])
    # Nothing saved yet: the one settings form starts with the variable's value.
    with override_settings(TICKET_AFTER_WAITING_MINUTES=45):
        page = supervisor_client.get(add, follow=True)
        assert page.redirect_chain == [(change, 302)]
        assert 'value="45"' in page.content.decode()
    bad = supervisor_client.post(change, {"waiting_minutes": "-1"})
    assert bad.status_code == 200 and not TicketAutomation.objects.exists()
    assert supervisor_client.post(change, {"waiting_minutes": "10"}).status_code == 302
    with override_settings(TICKET_AFTER_WAITING_MINUTES=0):
        assert timeouts.waiting_timeout() == timedelta(minutes=10)
        assert tasks.waiting_conversations_sweep() == 1
    # One row: the add page leads to it, and it cannot be deleted.
    assert supervisor_client.get(add).url == change
    assert supervisor_client.post(change, {"waiting_minutes": "0"}).status_code == 302
    assert timeouts.waiting_timeout() is None
    delete = reverse("admin:tickets_ticketautomation_delete", args=[1])
    assert supervisor_client.post(delete, {"post": "yes"}).status_code == 403
    assert TicketAutomation.objects.count() == 1
