"""The widget menu endpoint and leave-a-message mode over HTTP and the widget socket's hello."""

import pytest

from chat.tests.factories import WidgetSiteFactory
from routing import selectors as routing_selectors
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import Ticket
from tickets.models.menu import QuestionKind, WidgetMenuOption, WidgetMenuQuestion

pytestmark = pytest.mark.django_db

SESSIONS = "/api/widget/v1/sessions/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def fresh_online_cache():
    routing_selectors.team_has_agent_online_forget()
    yield
    routing_selectors.team_has_agent_online_forget()


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", team=TeamFactory(name="Sales"), offline_tickets=True)


def invoice_option(site, **extra):
    option = WidgetMenuOption.objects.create(
        site=site, label_zh="发票", label_en="Invoice", **extra
    )
    WidgetMenuQuestion.objects.create(
        option=option, key="order", label_zh="订单号", label_en="Order number"
    )
    WidgetMenuQuestion.objects.create(
        option=option,
        key="kind",
        label_zh="类型",
        label_en="Kind",
        kind=QuestionKind.CHOICE,
        choices="普票\n专票",
        position=1,
    )
    return option


def session(client, site):
    response = client.post(SESSIONS, {"site": site.key}, content_type="application/json", **EN)
    assert response.status_code == 200, response.content
    return response.json()


def answer(client, token, option_id, body):
    return client.post(
        f"/api/widget/v1/menu/{option_id}/",
        body,
        content_type="application/json",
        HTTP_X_VISITOR_TOKEN=token,
        **EN,
    )


def test_the_session_carries_the_menu_and_whether_agents_are_online(client, site):
    option = invoice_option(site)

    data = session(client, site)

    assert data["agents_online"] is False
    assert data["site"]["offline_tickets"] is True
    assert [(o["id"], o["label"]["en"]) for o in data["site"]["menu"]] == [(option.pk, "Invoice")]
    assert [q["key"] for q in data["site"]["menu"][0]["questions"]] == ["order", "kind"]


def test_an_online_agent_of_the_team_is_reported(client, site):
    AgentProfileFactory(presence="online", teams=[site.team])

    assert session(client, site)["agents_online"] is True


def test_answers_make_a_ticket(client, site):
    option = invoice_option(site)
    token = session(client, site)["visitor_token"]

    response = answer(client, token, option.pk, {"answers": {"order": "A-1001", "kind": "专票"}})

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert response.json() == {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "status": "new",
        "conversation_id": ticket.conversation_id,
    }
    assert (ticket.source, ticket.subject) == ("menu", "发票: A-1001")


def test_bad_answers_are_400_with_the_questions_messages(client, site):
    option = invoice_option(site)
    token = session(client, site)["visitor_token"]

    response = answer(client, token, option.pk, {"answers": {"order": "", "kind": "收据"}})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {
        "answers": {
            "order": ["This field is required."],
            "kind": ["Choose one of the listed answers."],
        }
    }
    assert not Ticket.objects.exists()


def test_missing_answers_are_400(client, site):
    option = invoice_option(site)
    token = session(client, site)["visitor_token"]

    response = answer(client, token, option.pk, {})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["answers"]


@pytest.mark.parametrize("which", ["other site", "inactive", "unknown"])
def test_an_option_the_visitor_cannot_reach_is_404(client, site, which):
    option = {
        "other site": lambda: invoice_option(WidgetSiteFactory(key="elsewhere")),
        "inactive": lambda: invoice_option(site, is_active=False),
        "unknown": lambda: WidgetMenuOption(pk=999),
    }[which]()
    token = session(client, site)["visitor_token"]

    response = answer(client, token, option.pk, {"answers": {"order": "A-1", "kind": "普票"}})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Ticket.objects.exists()


def test_a_bad_token_is_403(client, site):
    option = invoice_option(site)

    response = answer(client, "nope", option.pk, {"answers": {}})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_token"


def test_the_menu_waits_for_the_prechat_form(client, site):
    site.prechat_enabled = True
    site.prechat_name = "required"
    site.save()
    option = invoice_option(site)
    token = session(client, site)["visitor_token"]

    response = answer(client, token, option.pk, {"answers": {"order": "A-1", "kind": "普票"}})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "prechat_required"
    assert not Ticket.objects.exists()
