"""Canned replies: scopes, the shortcut rule, ranking by topic, rendering, uses, the API."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from chat.models import IdentityKind
from chat.tests.factories import ConversationFactory, CustomerFactory, CustomerIdentityFactory
from desk.canned import rendering, services
from desk.canned.topics import ReplyContext, reply_context_for_agent
from desk.models import CannedReply, CannedReplyUsage
from desk.tests.factories import CannedReplyFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:canned-replies")


def detail(reply, action=""):
    name = f"api:canned-reply-{action}" if action else "api:canned-reply"
    return reverse(name, args=[reply.pk])


def shortcuts(response):
    assert response.status_code == 200, response.content
    return [row["shortcut"] for row in response.json()["results"]]


@pytest.fixture
def team(agent):
    team = TeamFactory(name="Billing")
    agent.teams.add(team)
    return team


# ---- the model --------------------------------------------------------------------------


@pytest.mark.parametrize("shortcut", ["退款", "refund", "order-status_2", "物流_查询"])
def test_shortcuts_in_any_script_are_valid(shortcut):
    CannedReply(shortcut=shortcut, title="t", body="b").full_clean()


@pytest.mark.parametrize("shortcut", ["/refund", "two words", "a/b", "", "退款!"])
def test_shortcuts_with_other_characters_are_refused(shortcut):
    with pytest.raises(ValidationError) as error:
        CannedReply(shortcut=shortcut, title="t", body="b").full_clean()
    assert "shortcut" in error.value.message_dict


def test_scope_decides_owner_and_team(agent):
    team = TeamFactory()
    cases = [
        (CannedReply(scope="personal"), {"owner"}),
        (CannedReply(scope="personal", owner=agent.user, team=team), {"team"}),
        (CannedReply(scope="team"), {"team"}),
        (CannedReply(scope="team", team=team, owner=agent.user), {"owner"}),
        (CannedReply(scope="global", team=team), {"team"}),
        (CannedReply(scope="global", owner=agent.user), {"owner"}),
    ]
    for reply, fields in cases:
        reply.shortcut, reply.title, reply.body = "x", "t", "b"
        with pytest.raises(ValidationError) as error:
            reply.full_clean()
        assert set(error.value.message_dict) == fields, reply.scope
    CannedReply(scope="personal", owner=agent.user, shortcut="x", title="t", body="b").full_clean()
    CannedReply(scope="team", team=team, shortcut="x", title="t", body="b").full_clean()


def test_admin_refuses_a_personal_reply_without_owner(supervisor_client):
    url = reverse("admin:desk_cannedreply_add")
    response = supervisor_client.post(
        url,
        {
            "shortcut": "退款",
            "title": "Refund",
            "body": "Hello {{customer.name}}",
            "language": "zh-hans",
            "scope": "personal",
            "usages-TOTAL_FORMS": "0",
            "usages-INITIAL_FORMS": "0",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "A personal reply needs an owner." in response.content.decode()
    assert not CannedReply.objects.exists()


def test_admin_saves_a_team_reply_with_a_chinese_shortcut(supervisor_client):
    team = TeamFactory()
    response = supervisor_client.post(
        reverse("admin:desk_cannedreply_add"),
        {
            "shortcut": "退款",
            "title": "退款说明",
            "body": "您好 {{customer.name}}",
            "language": "zh-hans",
            "scope": "team",
            "team": team.pk,
            "usages-TOTAL_FORMS": "0",
            "usages-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = CannedReply.objects.get()
    assert (reply.shortcut, reply.scope, reply.team) == ("退款", "team", team)


# ---- who sees what ------------------------------------------------------------------------


def test_agent_lists_personal_team_and_global_replies_only(agent_client, agent, team):
    other = AgentProfileFactory()
    CannedReplyFactory(shortcut="mine", scope="personal", owner=agent.user)
    CannedReplyFactory(shortcut="theirs", scope="personal", owner=other.user)
    CannedReplyFactory(shortcut="billing", scope="team", team=team)
    CannedReplyFactory(shortcut="shipping", scope="team", team=TeamFactory(name="Shipping"))
    CannedReplyFactory(shortcut="hello", scope="global")

    assert shortcuts(agent_client.get(LIST)) == ["billing", "hello", "mine"]


def test_another_agents_personal_reply_is_not_found(agent_client):
    theirs = CannedReplyFactory(scope="personal", owner=AgentProfileFactory().user, body="x")
    other_team = CannedReplyFactory(scope="team", team=TeamFactory())
    for reply in (theirs, other_team):
        assert agent_client.get(detail(reply, "render")).status_code == 404
        assert agent_client.post(detail(reply, "uses"), {}).status_code == 404
        assert (
            agent_client.patch(detail(reply), {}, content_type="application/json").status_code
            == 404
        )
        assert agent_client.delete(detail(reply)).status_code == 404
    assert CannedReply.objects.get(pk=theirs.pk).usage_count == 0


def test_a_global_reply_cannot_be_changed_from_the_workspace(agent_client):
    reply = CannedReplyFactory(scope="global", title="Hello")
    response = agent_client.patch(
        detail(reply), {"title": "Mine now"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert CannedReply.objects.get().title == "Hello"


def test_a_conversation_the_agent_may_not_see_is_not_found(agent_client):
    reply = CannedReplyFactory()
    hidden = ConversationFactory(team=TeamFactory(), assignee=AgentProfileFactory().user)
    assert agent_client.get(LIST, {"conversation": hidden.pk}).status_code == 404
    assert agent_client.get(detail(reply, "render"), {"conversation": hidden.pk}).status_code == 404


def test_list_is_for_agents_only(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor"))
    assert client.get(LIST).status_code == 403


# ---- matching and ranking -----------------------------------------------------------------


def test_query_matches_shortcut_prefix_then_title_then_body(agent_client):
    CannedReplyFactory(shortcut="thanks", title="Closing", body="Thanks for the refund request")
    CannedReplyFactory(shortcut="policy", title="Refund policy", body="…")
    CannedReplyFactory(shortcut="refund-late", title="Late", body="…")
    CannedReplyFactory(shortcut="refund", title="Refund", body="…")
    CannedReplyFactory(shortcut="hello", title="Hello", body="…")

    assert shortcuts(agent_client.get(LIST, {"q": "/refund"})) == [
        "refund",
        "refund-late",
        "policy",
        "thanks",
    ]


def test_query_matches_chinese(agent_client):
    CannedReplyFactory(shortcut="退款", title="退款流程", body="…")
    CannedReplyFactory(shortcut="物流", title="物流查询", body="可以申请退货")
    CannedReplyFactory(shortcut="refund", title="Refund", body="…", language="en")

    assert shortcuts(agent_client.get(LIST, {"q": "/退"})) == ["退款", "物流"]


def test_replies_most_used_for_the_topic_come_first(agent_client, agent, team):
    billing = CategoryFactory(name="Billing")
    delivery = CategoryFactory(name="Delivery")
    conv = ConversationFactory(team=team)
    TicketFactory(conversation=conv, team=team, category=billing, status="open")
    CannedReplyFactory(shortcut="a-popular", usage_count=50)
    invoice = CannedReplyFactory(shortcut="b-invoice")
    tracking = CannedReplyFactory(shortcut="c-tracking")
    CannedReplyUsage.objects.create(
        reply=invoice, topic=f"category:{billing.pk}", count=3, last_used_at="2026-01-01T00:00Z"
    )
    CannedReplyUsage.objects.create(
        reply=tracking, topic=f"category:{delivery.pk}", count=9, last_used_at="2026-01-01T00:00Z"
    )
    CannedReplyUsage.objects.create(
        reply=tracking, topic=f"team:{team.pk}", count=2, last_used_at="2026-01-01T00:00Z"
    )

    # In this conversation: the billing category's favourite, then the team's, then overall.
    ranked = agent_client.get(LIST, {"conversation": conv.pk})
    assert shortcuts(ranked) == ["b-invoice", "c-tracking", "a-popular"]
    assert [row["topic_uses"] for row in ranked.json()["results"]] == [3, 2, 0]
    # Without a context: by all uses, then the shortcut.
    assert shortcuts(agent_client.get(LIST)) == ["a-popular", "b-invoice", "c-tracking"]


def test_list_query_count(agent_client, agent, team, django_assert_num_queries):
    conv = ConversationFactory(team=team)
    # session, user, the agent's profile and teams (IsAgent); the conversation through the
    # agent's scope (3); its open ticket; the replies' scope (2); the ranked replies with their
    # team and topic counts. The same for 5 replies as for 15.
    for size in (5, 15):
        while CannedReply.objects.count() < size:
            CannedReplyFactory(scope="team", team=team)
        with django_assert_num_queries(12):
            assert len(shortcuts(agent_client.get(LIST, {"conversation": conv.pk}))) == size


# ---- rendering ----------------------------------------------------------------------------


def test_render_fills_variables_from_customer_ticket_and_agent(agent_client, agent):
    customer = CustomerFactory(display_name="王小明")
    CustomerIdentityFactory(
        customer=customer, kind=IdentityKind.EMAIL, external_id="xm@example.com"
    )
    conv = ConversationFactory(customer=customer)
    TicketFactory(
        conversation=conv,
        requester=customer,
        number="T-20260101-0001",
        subject="耳机没有声音",
        status="open",
    )
    reply = CannedReplyFactory(
        body="{{customer.name}}您好，工单 {{ ticket.number }}（{{ticket.subject}}）已收到，"
        "回复到 {{customer.email}}。{{agent.name}}"
    )

    response = agent_client.get(detail(reply, "render"), {"conversation": conv.pk})

    assert response.status_code == 200
    assert response.json() == {
        "id": reply.pk,
        "shortcut": reply.shortcut,
        "body": "王小明您好，工单 T-20260101-0001（耳机没有声音）已收到，"
        f"回复到 xm@example.com。{agent.display_name}",
        "unfilled": [],
    }


def test_unknown_and_missing_variables_stay_visible(agent_client):
    conv = ConversationFactory(customer=CustomerFactory(display_name=""))
    reply = CannedReplyFactory(
        body="Hi {{customer.name}}, ticket {{ticket.number}} {{order.id}} {{ broken"
    )

    body = agent_client.get(detail(reply, "render"), {"conversation": conv.pk}).json()

    assert body["body"] == "Hi {{customer.name}}, ticket {{ticket.number}} {{order.id}} {{ broken"
    assert body["unfilled"] == ["customer.name", "ticket.number", "order.id"]


def test_render_is_plain_text_never_html(agent):
    customer = CustomerFactory(display_name='<img src=x onerror="alert(1)">')
    context = ReplyContext(agent=agent.user, conversation=ConversationFactory(customer=customer))
    rendered = rendering.canned_reply_render("<b>Hi</b> {{customer.name}} &amp;", context)
    assert rendered.body == '<b>Hi</b> <img src=x onerror="alert(1)"> &amp;'


def test_render_for_a_ticket_without_conversation(agent_client):
    ticket = TicketFactory(number="T-1", requester=CustomerFactory(display_name="Ann"))
    reply = CannedReplyFactory(body="{{customer.name}} / {{ticket.number}}")
    body = agent_client.get(detail(reply, "render"), {"ticket": ticket.pk}).json()
    assert body["body"] == "Ann / T-1"


# ---- uses ---------------------------------------------------------------------------------


def test_a_use_counts_overall_and_for_each_topic(agent_client, team):
    category = CategoryFactory()
    conv = ConversationFactory(team=team)
    TicketFactory(conversation=conv, team=team, category=category, status="open")
    reply = CannedReplyFactory()

    for expected in (1, 2):
        response = agent_client.post(
            detail(reply, "uses"), {"conversation": conv.pk}, content_type="application/json"
        )
        assert response.json() == {"usage_count": expected}
    agent_client.post(detail(reply, "uses"), {}, content_type="application/json")

    assert CannedReply.objects.get().usage_count == 3
    assert dict(CannedReplyUsage.objects.values_list("topic", "count")) == {
        f"category:{category.pk}": 2,
        f"team:{team.pk}": 2,
    }


def test_use_service_counts_on_top_of_a_row_another_process_made(agent, team):
    reply = CannedReplyFactory()
    context = ReplyContext(agent=agent.user, conversation=ConversationFactory(team=team))
    services.canned_reply_use(actor=agent.user, reply=reply, context=context)
    # As if the row had been inserted by someone else between our UPDATE and INSERT.
    CannedReplyUsage.objects.filter(reply=reply).update(count=5)
    services.canned_reply_use(actor=agent.user, reply=reply, context=context)
    assert CannedReplyUsage.objects.get().count == 6


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"q": "x" * 51}, {"conversation": "abc"}, {"ticket": "-1"}, {"limit": "0"}, {"limit": "500"}],
)
def test_bad_list_parameters_are_400_invalid(agent_client, params):
    response = agent_client.get(LIST, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_bad_use_body_changes_nothing(agent_client):
    reply = CannedReplyFactory()
    response = agent_client.post(
        detail(reply, "uses"), {"conversation": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert CannedReply.objects.get().usage_count == 0


# ---- personal replies from the workspace --------------------------------------------------


def test_agent_makes_changes_and_deletes_a_personal_reply(agent_client, agent):
    made = agent_client.post(
        LIST,
        {"shortcut": "/退款", "title": "退款", "body": "{{customer.name}}您好"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    reply = CannedReply.objects.get()
    assert (reply.shortcut, reply.scope, reply.owner, reply.team) == (
        "退款",
        "personal",
        agent.user,
        None,
    )
    assert made.json()["mine"] is True

    changed = agent_client.patch(
        detail(reply), {"title": "Refund"}, content_type="application/json"
    )
    assert changed.json()["title"] == "Refund"

    assert agent_client.delete(detail(reply)).status_code == 204
    assert not CannedReply.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"shortcut": "two words", "title": "t", "body": "b"},
        {"shortcut": "ok", "title": "", "body": "b"},
        {"shortcut": "ok", "title": "t"},
        {"shortcut": "ok", "title": "t", "body": "b", "language": "fr"},
    ],
)
def test_bad_personal_reply_is_400_and_nothing_is_made(agent_client, payload):
    response = agent_client.post(LIST, payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not CannedReply.objects.exists()


def test_a_shortcut_taken_by_the_agent_is_refused(agent_client, agent):
    CannedReplyFactory(shortcut="hi", scope="personal", owner=agent.user, language="en")
    response = agent_client.post(
        LIST,
        {"shortcut": "hi", "title": "t", "body": "b", "language": "en"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["shortcut"]
    assert CannedReply.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_from_many_connections_all_count():
    """Eight uses at once, each in its own connection (as from several processes), of a reply
    whose topic rows do not exist yet: every one is counted, one row per topic."""
    team = TeamFactory()
    agent = AgentProfileFactory()
    agent.teams.add(team)
    category = CategoryFactory()
    conv = ConversationFactory(team=team)
    TicketFactory(conversation=conv, team=team, category=category, status="open")
    reply = CannedReplyFactory()
    uses = 8
    barrier = threading.Barrier(uses)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            context = reply_context_for_agent(agent.user, conversation_id=conv.pk)
            barrier.wait(timeout=30)
            services.canned_reply_use(actor=agent.user, reply=reply, context=context)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(uses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert CannedReply.objects.get().usage_count == uses
    assert dict(CannedReplyUsage.objects.values_list("topic", "count")) == {
        f"category:{category.pk}": uses,
        f"team:{team.pk}": uses,
    }
