"""CSAT: the requester rates a finished ticket once, 1 to 5."""

import pytest
from django.db import IntegrityError, transaction

from chat.tests.factories import CustomerFactory
from tickets.customer_services import ticket_rate
from tickets.errors import TicketError
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_rating_stores_score_comment_time_and_a_system_event(status):
    ticket = TicketFactory(status=status)

    rated = ticket_rate(
        ticket=ticket, customer=ticket.requester, score=4, comment=" Quick, thanks "
    )

    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (4, "Quick, thanks")
    assert ticket.csat_at is not None
    assert rated.csat_at == ticket.csat_at
    event = ticket.events.get()
    assert (event.kind, event.action, event.new_value, event.body) == (
        "system",
        "rated",
        "4",
        "Quick, thanks",
    )
    assert (event.actor, event.actor_customer) == (None, ticket.requester)


def test_a_comment_is_optional():
    ticket = TicketFactory(status="resolved")

    ticket_rate(ticket=ticket, customer=ticket.requester, score=1)

    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (1, "")


@pytest.mark.parametrize("status", ["new", "open", "in_progress", "pending"])
def test_an_unfinished_ticket_cannot_be_rated(status):
    ticket = TicketFactory(status=status)

    with pytest.raises(TicketError) as caught:
        ticket_rate(ticket=ticket, customer=ticket.requester, score=5)

    assert caught.value.code == "not_rateable"
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_at) == (None, None)
    assert not ticket.events.exists()


def test_a_ticket_is_rated_once():
    ticket = TicketFactory(status="resolved")
    ticket_rate(ticket=ticket, customer=ticket.requester, score=2, comment="slow")

    with pytest.raises(TicketError) as caught:
        ticket_rate(ticket=ticket, customer=ticket.requester, score=5, comment="changed my mind")

    assert caught.value.code == "already_rated"
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (2, "slow")
    assert ticket.events.count() == 1


def test_only_the_requester_may_rate():
    ticket = TicketFactory(status="resolved")

    with pytest.raises(TicketError) as caught:
        ticket_rate(ticket=ticket, customer=CustomerFactory(), score=5)

    assert caught.value.code == "not_requester"
    ticket.refresh_from_db()
    assert ticket.csat_score is None


@pytest.mark.parametrize("score", [0, 6, -1, True, "5", 3.5, None])
def test_scores_outside_one_to_five_are_refused(score):
    ticket = TicketFactory(status="resolved")

    with pytest.raises(TicketError) as caught:
        ticket_rate(ticket=ticket, customer=ticket.requester, score=score)

    assert caught.value.code == "invalid_score"
    assert not TicketEvent.objects.exists()


def test_the_database_refuses_a_score_outside_the_range():
    ticket = TicketFactory(status="resolved")

    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(csat_score=9)

    ticket.refresh_from_db()
    assert ticket.csat_score is None
