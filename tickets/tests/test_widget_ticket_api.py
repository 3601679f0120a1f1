"""The widget's ticket endpoints (tickets/widget/api.py): a ticket's state and its rating (CSAT)."""

import pytest

from chat.tests.factories import WidgetSiteFactory
from chat.widget import sessions as widget_sessions
from routing.tests.factories import TeamFactory
from tickets.tests.helpers import visitor_with_ticket

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", name="Shop", team=TeamFactory(name="Sales"))


def rate(client, token, ticket_id, body):
    return client.post(
        f"/api/widget/v1/tickets/{ticket_id}/rating/",
        body,
        content_type="application/json",
        HTTP_X_VISITOR_TOKEN=token,
        **EN,
    )


def state(client, token, ticket_id):
    return client.get(f"/api/widget/v1/tickets/{ticket_id}/", HTTP_X_VISITOR_TOKEN=token, **EN)


# ---- the ticket's state ----------------------------------------------------------------------


def test_the_visitor_reads_its_tickets_state(client, site):
    token, _, _, ticket = visitor_with_ticket(site)

    response = state(client, token, ticket.pk)

    assert response.status_code == 200
    assert response.json() == {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "status": "resolved",
        "rated": False,
        "score": None,
    }


def test_another_visitors_or_an_unknown_ticket_is_not_found(client, site):
    _, _, _, ticket = visitor_with_ticket(site)
    stranger = widget_sessions.widget_session_open(site=site).token

    for token, pk in [(stranger, ticket.pk), (stranger, ticket.pk + 1000)]:
        response = state(client, token, pk)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert state(client, "forged", ticket.pk).status_code == 403


# ---- rating ----------------------------------------------------------------------------------


def test_a_resolved_ticket_is_rated_once(client, site):
    token, _, _, ticket = visitor_with_ticket(site)

    response = rate(client, token, ticket.pk, {"score": 5, "comment": " Great help 很好 "})

    assert response.status_code == 200
    assert response.json() == {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "status": "resolved",
        "rated": True,
        "score": 5,
    }
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (5, "Great help 很好")
    assert state(client, token, ticket.pk).json()["rated"] is True

    again = rate(client, token, ticket.pk, {"score": 1})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_rated"
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (5, "Great help 很好")


def test_a_comment_is_optional(client, site):
    token, _, _, ticket = visitor_with_ticket(site)

    assert rate(client, token, ticket.pk, {"score": 3}).status_code == 200

    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (3, "")


def test_another_visitors_ticket_is_not_found_and_stays_unrated(client, site):
    _, _, _, ticket = visitor_with_ticket(site)
    stranger = widget_sessions.widget_session_open(site=site).token

    response = rate(client, stranger, ticket.pk, {"score": 1})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    ticket.refresh_from_db()
    assert ticket.csat_score is None
    assert rate(client, "forged", ticket.pk, {"score": 1}).status_code == 403


@pytest.mark.parametrize("score", [0, 6, "x", "5", 4.5, True, None])
def test_a_bad_score_is_refused(client, site, score):
    token, _, _, ticket = visitor_with_ticket(site)

    response = rate(client, token, ticket.pk, {"score": score})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_score"
    ticket.refresh_from_db()
    assert ticket.csat_score is None
    assert not ticket.events.filter(action="rated").exists()


def test_a_missing_score_or_a_too_long_comment_is_invalid(client, site):
    token, _, _, ticket = visitor_with_ticket(site)

    assert rate(client, token, ticket.pk, {}).status_code == 400
    long = rate(client, token, ticket.pk, {"score": 4, "comment": "x" * 2001})
    assert long.status_code == 400
    assert "comment" in long.json()["error"]["fields"]
    ticket.refresh_from_db()
    assert ticket.csat_score is None


@pytest.mark.parametrize("status", ["new", "open", "in_progress", "pending"])
def test_a_ticket_still_in_work_cannot_be_rated(client, site, status):
    token, _, _, ticket = visitor_with_ticket(site, status=status)

    response = rate(client, token, ticket.pk, {"score": 5})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_rateable"
    ticket.refresh_from_db()
    assert ticket.csat_score is None
