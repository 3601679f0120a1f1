"""The workspace's customer panel (tickets/api.py): a conversation's detail and a customer on its
own, with the customer's conversations and tickets the agent may see."""

import pytest
from django.test import Client

from chat.models import Channel, IdentityKind
from chat.tests.factories import ConversationFactory, CustomerFactory, CustomerIdentityFactory
from routing.tests.factories import TeamFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/conversations/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_detail_has_the_customer_panel(agent_client, agent, supervisor):
    customer = CustomerFactory(display_name="王芳", vip_level=2, attributes={"plan": "Gold"})
    CustomerIdentityFactory(customer=customer, kind=IdentityKind.WECHAT_OPENID, external_id="o6")
    CustomerIdentityFactory(customer=customer, kind=IdentityKind.PHONE, external_id="+8613800")
    conv = ConversationFactory(
        customer=customer, device="iPhone 15", os="iOS 18", browser="Safari",
        page_url="https://shop.example.com/cart", ip_address="203.0.113.9",
    )  # fmt: skip
    past = ConversationFactory(customer=customer, channel=Channel.EMAIL, status="closed")
    ConversationFactory(customer=customer, team=TeamFactory(name="Hidden"))  # not visible
    ticket = TicketFactory(requester=customer, subject="Broken earphones")
    TicketFactory(requester=customer, team=TeamFactory(name="Hidden"))  # not visible
    TicketFactory()  # another customer's

    body = agent_client.get(f"{LIST}{conv.pk}/", **EN).json()
    assert body["id"] == conv.pk
    assert body["customer"]["name"] == "王芳"
    assert body["customer"]["vip_level"] == 2
    assert body["customer"]["attributes"] == {"plan": "Gold"}
    assert body["customer"]["identities"] == [
        {"kind": "phone", "kind_label": "Phone", "external_id": "+8613800", "verified": False},
        {"kind": "wechat_openid", "kind_label": "WeChat OpenID", "external_id": "o6",
         "verified": False},
    ]  # fmt: skip
    assert body["context"]["device"] == "iPhone 15"
    assert body["context"]["page_url"] == "https://shop.example.com/cart"
    assert body["context"]["ip_address"] == "203.0.113.9"
    assert [(c["id"], c["url"]) for c in body["previous_conversations"]] == [
        (past.pk, f"/desk/#c={past.pk}")
    ]
    assert [(t["number"], t["status_label"], t["url"]) for t in body["tickets"]] == [
        (ticket.number, "New", f"/desk/#t={ticket.pk}")
    ]
    boss = Client()
    boss.force_login(supervisor.user)
    tickets = boss.get(f"{LIST}{conv.pk}/").json()["tickets"]
    assert len(tickets) == 2


def test_a_customer_panel_on_its_own_for_a_ticket_without_open_chat(agent_client, agent):
    customer = CustomerFactory(display_name="李雷", attributes={"order": "42"})
    CustomerIdentityFactory(customer=customer, kind=IdentityKind.EMAIL, external_id="li@x.cn")
    older = ConversationFactory(customer=customer, device="Pixel")
    newer = ConversationFactory(customer=customer, device="iPhone 15", status="closed")
    ConversationFactory(customer=customer, team=TeamFactory(name="Hidden"), device="secret")
    ticket = TicketFactory(requester=customer)

    url = f"/api/v1/customers/{customer.pk}/"
    body = agent_client.get(url, **EN).json()
    assert body["customer"]["name"] == "李雷"
    assert body["customer"]["attributes"] == {"order": "42"}
    assert [i["external_id"] for i in body["customer"]["identities"]] == ["li@x.cn"]
    assert body["context"]["device"] == "iPhone 15"  # the newest conversation it may see
    assert [c["id"] for c in body["previous_conversations"]] == [newer.pk, older.pk]
    assert [t["url"] for t in body["tickets"]] == [f"/desk/#t={ticket.pk}"]

    # A customer the agent sees nothing of looks like one that does not exist.
    hidden = CustomerFactory()
    ConversationFactory(customer=hidden, team=TeamFactory(name="Other"))
    TicketFactory(requester=hidden, team=TeamFactory(name="Other 2"))
    for pk in (hidden.pk, 999999):
        response = agent_client.get(f"/api/v1/customers/{pk}/", **EN)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "No such customer."}}
    # Seen through a ticket only: still shown, with an empty context.
    only_ticket = TicketFactory(requester=CustomerFactory()).requester
    body = agent_client.get(f"/api/v1/customers/{only_ticket.pk}/").json()
    assert body["previous_conversations"] == [] and body["context"]["device"] == ""
