"""Ticket search (tickets.search): subject, description, replies and notes in Chinese and
English, numbers and requesters, the agent's scope, inert snippets, the document rebuilt after
commit and backfilled, constant query counts."""

import pytest
from django.core.management import call_command

from chat.models import IdentityKind
from chat.tests.factories import CustomerFactory, CustomerIdentityFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.customer_services import ticket_customer_reply
from tickets.models import TicketSearch
from tickets.search.index import tickets_backfill
from tickets.services import TicketData, ticket_create, ticket_reply, ticket_update_fields
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"


def search(client, q, **params) -> list[dict]:
    response = client.get(LIST, {"q": q, **params}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    assert response.json()["next_cursor"] is None
    return response.json()["results"]


def found(client, q, **params) -> list[int]:
    return [row["id"] for row in search(client, q, **params)]


def make(subject, description="", team=None, requester=None):
    return ticket_create(
        actor=None,
        requester=requester or CustomerFactory(),
        data=TicketData(subject=subject, description=description, team=team),
    )


@pytest.fixture
def tickets(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        refund = make("申请退款", "客户说商品有质量问题，要求全额退款")
        charger = make("Charger stopped working", "The customer's charger broke after a week")
        ticket_reply(
            actor=agent.user, ticket=charger, body="We shipped a replacement", internal=False
        )
        noted = make("Login trouble")
        ticket_reply(actor=agent.user, ticket=noted, body="内部备注：账号被锁定", internal=True)
        make("Unrelated")
    return refund, charger, noted


def test_subject_description_replies_and_notes_are_found(agent_client, tickets):
    refund, charger, noted = tickets
    assert found(agent_client, "退款") == [refund.pk]
    assert found(agent_client, "质量问题") == [refund.pk]
    assert found(agent_client, "replacements") == [charger.pk]
    assert found(agent_client, "shipping") == [charger.pk]
    assert found(agent_client, "锁定") == [noted.pk]


def test_the_subject_weighs_over_the_rest(
    agent_client, tickets, django_capture_on_commit_callbacks
):
    refund, _, _ = tickets
    with django_capture_on_commit_callbacks(execute=True):
        mentions = make("Question about an invoice", "以前申请过退款")
    assert found(agent_client, "退款") == [refund.pk, mentions.pk]


def test_a_customer_reply_and_a_new_subject_are_searchable(
    agent_client, tickets, django_capture_on_commit_callbacks
):
    _, charger, noted = tickets
    with django_capture_on_commit_callbacks(execute=True):
        ticket_customer_reply(ticket=charger, customer=charger.requester, body="订单号 88812345")
        ticket_update_fields(actor=None, ticket=noted, changes={"subject": "无法登录"})
    assert found(agent_client, "88812345") == [charger.pk]
    assert found(agent_client, "登录") == [noted.pk]
    assert found(agent_client, "login") == []


def test_numbers_and_requesters_are_still_found(agent_client, tickets):
    refund, _, _ = tickets
    customer = CustomerFactory(display_name="王芳")
    CustomerIdentityFactory(customer=customer, kind=IdentityKind.EMAIL, external_id="fang@x.cn")
    theirs = TicketFactory(requester=customer)
    assert found(agent_client, refund.number) == [refund.pk]
    assert found(agent_client, "王芳") == [theirs.pk]
    assert found(agent_client, "fang@x") == [theirs.pk]


def test_snippets_mark_the_match_and_escape_the_rest(
    agent_client, tickets, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make("XSS", '<img src=x onerror="alert(1)"> 退款 <b>bold</b>')
    rows = search(agent_client, "退款")
    assert rows[0]["snippet"].startswith("申请<mark>退款</mark>")
    assert rows[1]["snippet"] == (
        "XSS &lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>退款</mark> "
        "&lt;b&gt;bold&lt;/b&gt;"
    )
    assert {row["snippet"] for row in search(agent_client, tickets[0].number)} == {None}


def test_an_agent_of_another_team_cannot_find_it(client, agent, django_capture_on_commit_callbacks):
    sales, billing = TeamFactory(name="Sales"), TeamFactory(name="Billing")
    agent.teams.set([sales])
    with django_capture_on_commit_callbacks(execute=True):
        theirs = make("申请退款", team=billing)
        ours = make("退款进度", team=sales)
    client.force_login(agent.user)
    assert found(client, "退款") == [ours.pk]
    assert found(client, theirs.number) == []
    other = AgentProfileFactory()
    other.teams.set([billing])
    client.force_login(other.user)
    assert found(client, "退款") == [theirs.pk]


def test_the_reindex_command_backfills(agent_client, capsys):
    old = TicketFactory(subject="以前的退款工单")
    assert found(agent_client, "退款") == []
    call_command("search_reindex")
    assert "and 1 tickets" in capsys.readouterr().out
    assert found(agent_client, "退款") == [old.pk]
    assert tickets_backfill() == 0
    assert tickets_backfill(rebuild=True) == 1
    assert TicketSearch.objects.get(pk=old.pk).search_title == "以前 退款 工单"


def test_a_search_costs_the_same_number_of_queries_whatever_it_finds(
    agent, agent_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    team = TeamFactory(name="Sales")
    agent.teams.add(team)

    def fill(count):
        with django_capture_on_commit_callbacks(execute=True):
            for index in range(count):
                make(f"退款 {index}", team=team)

    fill(2)
    with django_assert_num_queries(13) as small:
        assert len(found(agent_client, "退款")) == 2
    fill(30)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(found(agent_client, "退款", limit=50)) == 32


def test_a_search_pages_on_with_its_cursor(agent_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = {make(f"退款 {index}", "退款 " * index).pk for index in range(5)}
    first = agent_client.get(LIST, {"q": "退款", "limit": 2}).json()
    second = agent_client.get(
        LIST, {"q": "退款", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = agent_client.get(
        LIST, {"q": "退款", "limit": 2, "cursor": second["next_cursor"]}
    ).json()
    pages = [first, second, third]
    ids = [row["id"] for page in pages for row in page["results"]]
    assert set(ids) == made and len(ids) == 5
    assert third["next_cursor"] is None
    wrong = agent_client.get(LIST, {"q": "退款", "cursor": "bm90IGEgY3Vyc29y"})
    assert wrong.status_code == 400 and "cursor" in wrong.json()["error"]["fields"]
