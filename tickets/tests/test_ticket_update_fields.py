"""ticket_update_fields: plain field edits, with a timeline row for each tracked change."""

import pytest

from tickets.services import ticket_update_fields
from tickets.tests.factories import TicketFactory


def _events(ticket) -> list[tuple[str, str, str]]:
    return list(ticket.events.values_list("kind", "old_value", "new_value"))


@pytest.mark.django_db
def test_status_change_writes_one_event_with_old_and_new(supervisor):
    ticket = TicketFactory(status="new")

    updated = ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"status": "open"})

    assert updated.status == "open"
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert _events(ticket) == [("status", "new", "open")]
    assert ticket.events.get().actor == supervisor.user


@pytest.mark.django_db
def test_priority_and_assignee_changes_are_on_the_timeline(supervisor, agent):
    ticket = TicketFactory(priority=2, assignee=supervisor.user)

    ticket_update_fields(
        actor=supervisor.user, ticket=ticket, changes={"priority": 1, "assignee": agent.user}
    )

    assert set(_events(ticket)) == {
        ("priority", "2", "1"),
        ("assignment", supervisor.user.username, agent.user.username),
    }


@pytest.mark.django_db
def test_unassigning_records_an_empty_new_value(supervisor, agent):
    ticket = TicketFactory(assignee=agent.user)

    ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"assignee": None})

    assert _events(ticket) == [("assignment", agent.user.username, "")]


@pytest.mark.django_db
def test_unchanged_values_and_untracked_fields_write_no_event(supervisor):
    ticket = TicketFactory(status="open", description="Old")

    ticket_update_fields(
        actor=supervisor.user, ticket=ticket, changes={"status": "open", "description": "New"}
    )

    ticket.refresh_from_db()
    assert ticket.description == "New"
    assert _events(ticket) == []


@pytest.mark.django_db
def test_resolving_stamps_resolved_at_and_reopening_clears_it(supervisor):
    ticket = TicketFactory(status="in_progress")

    ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"status": "resolved"})
    ticket.refresh_from_db()
    resolved_at = ticket.resolved_at
    ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"status": "open"})
    ticket.refresh_from_db()

    assert resolved_at is not None
    assert (ticket.resolved_at, ticket.closed_at) == (None, None)


@pytest.mark.django_db
def test_closing_stamps_closed_at(supervisor):
    ticket = TicketFactory(status="resolved")

    ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"status": "closed"})

    ticket.refresh_from_db()
    assert ticket.closed_at is not None
    assert ticket.resolved_at is not None


@pytest.mark.django_db
def test_system_fields_cannot_be_set(supervisor):
    ticket = TicketFactory()

    with pytest.raises(ValueError, match="number"):
        ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"number": "X"})

    ticket.refresh_from_db()
    assert ticket.number.startswith("T-TEST-")
