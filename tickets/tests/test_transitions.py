"""Status changes follow tickets/transitions.py, in the service and in the admin."""

import itertools

import pytest
from django.urls import reverse
from django.utils import translation

from desk.tests.admin_helpers import admin_form_data
from tickets.errors import TicketError
from tickets.models import TicketStatus
from tickets.services import ticket_update_fields
from tickets.tests.factories import TicketFactory
from tickets.transitions import (
    ALLOWED_TRANSITIONS,
    TransitionError,
    transition_allowed,
    transition_check,
    transitions_from,
)

STATUSES = ["new", "open", "in_progress", "pending", "resolved", "closed"]
ALLOWED = {
    ("new", "open"),
    ("new", "in_progress"),
    ("new", "pending"),
    ("new", "resolved"),
    ("new", "closed"),
    ("open", "in_progress"),
    ("open", "pending"),
    ("open", "resolved"),
    ("open", "closed"),
    ("in_progress", "open"),
    ("in_progress", "pending"),
    ("in_progress", "resolved"),
    ("in_progress", "closed"),
    ("pending", "open"),
    ("pending", "in_progress"),
    ("pending", "resolved"),
    ("pending", "closed"),
    ("resolved", "open"),
    ("resolved", "in_progress"),
    ("resolved", "closed"),
    ("closed", "open"),
}
CHANGES = [(old, new) for old, new in itertools.product(STATUSES, STATUSES) if old != new]


def test_the_table_covers_every_status_and_is_exactly_the_documented_one():
    assert set(ALLOWED_TRANSITIONS) == set(TicketStatus.values)
    table = {(old, new) for old, targets in ALLOWED_TRANSITIONS.items() for new in targets}
    assert table == ALLOWED
    assert transitions_from("closed") == {"open"}
    assert transitions_from("unknown") == frozenset()


@pytest.mark.parametrize(("old", "new"), CHANGES)
def test_transition_allowed_matches_the_table(old, new):
    assert transition_allowed(old, new) is ((old, new) in ALLOWED)


def test_staying_put_is_not_a_transition_and_unknown_statuses_are_refused():
    for status in STATUSES:
        transition_check(status, status)
    with pytest.raises(TransitionError):
        transition_check("open", "archived")


def test_transition_error_is_a_value_error_with_a_code_and_a_translated_message():
    with translation.override("en"):
        english = TransitionError("closed", "in_progress")
    with translation.override("zh-hans"):
        chinese = TransitionError("closed", "in_progress")

    assert isinstance(english, ValueError) and isinstance(english, TicketError)
    assert (english.code, english.old, english.new) == (
        "invalid_transition",
        "closed",
        "in_progress",
    )
    assert english.message == "A ticket cannot go from “Closed” to “In progress”."
    assert str(english) == english.message
    assert chinese.message == "工单不能从“已关闭”变为“处理中”。"


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_every_allowed_change_goes_through_with_one_status_event(old, new, supervisor):
    ticket = TicketFactory(status=old)

    updated = ticket_update_fields(actor=supervisor.user, ticket=ticket, changes={"status": new})

    assert updated.status == new
    assert list(ticket.events.values_list("kind", "old_value", "new_value")) == [
        ("status", old, new)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), sorted(set(CHANGES) - ALLOWED))
def test_a_refused_change_changes_nothing(old, new, supervisor):
    ticket = TicketFactory(status=old, subject="Before")

    with pytest.raises(TransitionError) as caught:
        ticket_update_fields(
            actor=supervisor.user, ticket=ticket, changes={"subject": "After", "status": new}
        )

    assert caught.value.code == "invalid_transition"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject) == (old, "Before")
    assert not ticket.events.exists()


@pytest.mark.django_db
def test_admin_shows_a_refused_status_as_a_form_error(supervisor_client, settings):
    ticket = TicketFactory(status="closed")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    data = admin_form_data(supervisor_client.get(url))
    data["status"] = "pending"
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = supervisor_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "A ticket cannot go from “Closed” to “Pending customer”."
    ]
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert not ticket.events.exists()
