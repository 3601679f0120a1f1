"""Merging duplicates (one timeline, the source closed) and linking related tickets."""

import pytest

from chat.services import message_create
from chat.tests.factories import ConversationFactory, CustomerFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.errors import TicketError
from tickets.models import TicketEvent
from tickets.selectors import ticket_timeline, ticket_timeline_for_agent
from tickets.services import (
    TicketData,
    ticket_create_from_conversation,
    ticket_link,
    ticket_merge,
    ticket_reply,
    ticket_update_fields,
)
from tickets.tests.factories import TicketEventFactory, TicketFactory
from tickets.tests.helpers import ticket_cards

pytestmark = pytest.mark.django_db


def _events(ticket) -> list[tuple[str, str, str, str]]:
    return list(ticket.events.values_list("kind", "action", "old_value", "new_value"))


def test_merge_closes_the_source_and_points_it_at_the_target(supervisor):
    source = TicketFactory(number="T-20260301-0001", status="open")
    target = TicketFactory(number="T-20260301-0002", status="in_progress")

    result = ticket_merge(actor=supervisor.user, source=source, target=target)

    assert result == target
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into, source.closed_at is not None) == (
        "closed",
        target,
        True,
    )
    assert target.status == "in_progress"
    assert _events(source) == [
        ("status", "", "open", "closed"),
        ("system", "merged_into", "", "T-20260301-0002"),
    ]
    assert _events(target) == [("system", "merged_from", "", "T-20260301-0001")]
    assert set(TicketEvent.objects.values_list("actor", flat=True)) == {supervisor.user.pk}


def test_merged_timeline_shows_both_tickets_events_in_order(supervisor):
    first = TicketFactory()
    second = TicketFactory()
    third = TicketFactory()
    a = TicketEventFactory(ticket=first, body="first's note")
    b = TicketEventFactory(ticket=second, body="second's note")
    c = TicketEventFactory(ticket=third, body="third's note")

    ticket_merge(actor=supervisor.user, source=first, target=second)
    ticket_merge(actor=supervisor.user, source=second, target=third)

    timeline = list(ticket_timeline(third))
    assert timeline[:3] == [a, b, c]
    assert [(e.ticket_id, e.kind, e.action) for e in timeline[3:]] == [
        (first.pk, "status", ""),
        (first.pk, "system", "merged_into"),
        (second.pk, "system", "merged_from"),
        (second.pk, "status", ""),
        (second.pk, "system", "merged_into"),
        (third.pk, "system", "merged_from"),
    ]
    assert list(ticket_timeline(first)) == list(first.events.all())


def test_an_already_closed_source_is_merged_without_a_status_event(supervisor):
    source = TicketFactory(status="closed")
    target = TicketFactory(status="resolved")

    ticket_merge(actor=supervisor.user, source=source, target=target)

    source.refresh_from_db()
    assert source.merged_into == target
    assert [kind for kind, *_rest in _events(source)] == ["system"]


def test_the_source_customer_hears_of_the_merge():
    agent = AgentProfileFactory().user
    conversation = ConversationFactory(customer=CustomerFactory(language="en"))
    message_create(conversation=conversation, sender_type="customer", body="Broken again")
    source = ticket_create_from_conversation(
        actor=agent, conversation=conversation, data=TicketData(subject=""), source="button"
    ).ticket
    target = TicketFactory(number="T-20260301-0009")

    ticket_merge(actor=agent, source=source, target=target)

    card = ticket_cards(conversation)[-1]
    assert card.body == f"Ticket {source.number} has been merged into ticket T-20260301-0009."
    assert (card.payload["status"], card.payload["old_status"], card.payload["merged_into"]) == (
        "closed",
        "new",
        "T-20260301-0009",
    )


def test_merge_refusals_change_nothing(supervisor):
    ticket = TicketFactory(status="open")
    closed = TicketFactory(status="closed")
    merged_away = TicketFactory(status="open")
    elsewhere = TicketFactory(status="open")
    ticket_merge(actor=supervisor.user, source=merged_away, target=elsewhere)
    events = TicketEvent.objects.count()

    codes = []
    for source, target in [(ticket, ticket), (ticket, closed), (merged_away, ticket)]:
        with pytest.raises(TicketError) as caught:
            ticket_merge(actor=supervisor.user, source=source, target=target)
        codes.append(caught.value.code)

    assert codes == ["merge_into_itself", "merge_into_closed", "ticket_merged"]
    assert TicketEvent.objects.count() == events
    ticket.refresh_from_db()
    merged_away.refresh_from_db()
    assert (ticket.status, ticket.merged_into) == ("open", None)
    assert merged_away.merged_into == elsewhere


def test_a_merged_ticket_stays_closed(supervisor):
    source, target = TicketFactory(status="open"), TicketFactory(status="open")
    ticket_merge(actor=supervisor.user, source=source, target=target)

    with pytest.raises(TicketError) as caught:
        ticket_update_fields(actor=supervisor.user, ticket=source, changes={"status": "open"})

    assert caught.value.code == "ticket_merged"
    source.refresh_from_db()
    assert source.status == "closed"
    note = ticket_reply(actor=supervisor.user, ticket=source, body="for the record", internal=True)
    assert note.event.kind == "note"


def test_timeline_for_agent_is_scoped(agent):
    team = TeamFactory(name="Billing")
    hidden = TicketFactory(team=team)
    visible = TicketFactory(team=None)
    TicketEventFactory(ticket=visible, body="hello")

    assert ticket_timeline_for_agent(agent.user, hidden.pk) is None
    assert [e.body for e in ticket_timeline_for_agent(agent.user, visible.pk)] == ["hello"]


# ---- related tickets ------------------------------------------------------------------------


def test_link_is_symmetric_with_an_event_on_both(supervisor):
    one = TicketFactory(number="T-20260301-0001")
    two = TicketFactory(number="T-20260301-0002")

    created = ticket_link(actor=supervisor.user, ticket=one, other=two)

    assert created is True
    assert list(one.related.all()) == [two]
    assert list(two.related.all()) == [one]
    assert _events(one) == [("system", "linked", "", "T-20260301-0002")]
    assert _events(two) == [("system", "linked", "", "T-20260301-0001")]


def test_linking_again_either_way_writes_nothing(supervisor):
    one, two = TicketFactory(), TicketFactory()
    ticket_link(actor=supervisor.user, ticket=one, other=two)

    again = ticket_link(actor=supervisor.user, ticket=two, other=one)

    assert again is False
    assert TicketEvent.objects.count() == 2
    assert one.related.count() == 1


def test_a_ticket_cannot_be_linked_to_itself(supervisor):
    one = TicketFactory()

    with pytest.raises(TicketError) as caught:
        ticket_link(actor=supervisor.user, ticket=one, other=one)

    assert caught.value.code == "link_to_itself"
    assert not one.related.exists()
    assert not TicketEvent.objects.exists()
