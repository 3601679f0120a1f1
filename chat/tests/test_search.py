"""Conversation search (chat.search): Chinese and English, order numbers, the agent's scope,
inert snippets, the index written after commit and backfilled, constant query counts."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import Conversation, MessageTerm, SenderType
from chat.search import selectors as search_selectors
from chat.search.index import messages_backfill
from chat.tests.factories import ConversationFactory, CustomerFactory, MessageFactory
from chat.tests.paging import walk_pages
from desk.kernel import paging
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/conversations/"


def say(conv, body, sender_type=SenderType.CUSTOMER, user=None):
    return services.message_create(
        conversation=conv, sender_type=sender_type, body=body, sender_user=user
    ).message


def search(client, q, **params) -> list[dict]:
    response = client.get(LIST, {"q": q, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next_cursor"] is None  # one page holds them all
    return body["results"]


def found(client, q, **params) -> list[int]:
    return [row["id"] for row in search(client, q, **params)]


@pytest.fixture
def chats(django_capture_on_commit_callbacks):
    """Three conversations whose messages went through the message path (indexed after
    commit), and one decoy."""
    with django_capture_on_commit_callbacks(execute=True):
        refund = ConversationFactory()
        say(refund, "你好，我想申请退款，订单号是 20261205883")
        say(refund, "好的，请稍等", SenderType.AGENT)
        english = ConversationFactory()
        say(english, "Two of my orders were refunded but the third one never was")
        shipping = ConversationFactory()
        say(shipping, "快递三天了还没到，物流一直没有更新")
        say(shipping, "Where is my parcel? Order 77001234")
        ConversationFactory()
    return refund, english, shipping


def test_chinese_words_find_the_conversation(agent_client, chats):
    refund, _, shipping = chats
    assert found(agent_client, "退款") == [refund.pk]
    assert found(agent_client, "物流") == [shipping.pk]
    assert found(agent_client, "申请退款") == [refund.pk]


def test_english_words_find_other_forms_of_the_word(agent_client, chats):
    _, english, shipping = chats
    assert found(agent_client, "refund") == [english.pk]
    assert found(agent_client, "refunds") == [english.pk]
    assert found(agent_client, "parcels") == [shipping.pk]


def test_an_order_number_finds_its_conversation(agent_client, chats):
    refund, _, shipping = chats
    assert found(agent_client, "20261205883") == [refund.pk]
    assert found(agent_client, "77001234") == [shipping.pk]


def test_a_query_in_both_languages_finds_both(agent_client, chats):
    refund, english, _ = chats
    assert set(found(agent_client, "退款 refunded")) == {refund.pk, english.pk}


def test_the_exact_lookups_still_work_and_come_first(agent_client, chats):
    _, english, _ = chats
    named = ConversationFactory(customer=CustomerFactory(display_name="Refund Li"))
    assert found(agent_client, f"#{english.pk}") == [english.pk]
    assert found(agent_client, "refund")[0] == named.pk
    assert set(found(agent_client, "refund")) == {named.pk, english.pk}


def test_filters_narrow_a_search(agent_client, chats):
    refund, english, _ = chats
    english.status = "closed"
    english.save(update_fields=["status"])
    assert found(agent_client, "refund 退款", status="active") == [refund.pk]


def test_rows_carry_a_snippet_of_the_best_message(agent_client, chats):
    (row,) = search(agent_client, "退款")
    assert "<mark>退款</mark>" in row["snippet"]
    assert row["snippet"].startswith("你好，我想申请<mark>退款</mark>")
    (row,) = search(agent_client, "refund")
    assert row["snippet"] == (
        "Two of my orders were <mark>refunded</mark> but the third one never was"
    )
    # without q: no snippet
    assert {row["snippet"] for row in agent_client.get(LIST).json()["results"]} == {None}


def test_a_snippet_is_inert_html(agent_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conv = ConversationFactory()
        say(conv, '<img src=x onerror="alert(1)"> refund <script>steal()</script> & more')
    (row,) = search(agent_client, "refund")
    assert row["snippet"] == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>refund</mark> "
        "&lt;script&gt;steal()&lt;/script&gt; &amp; more"
    )


def test_an_agent_of_another_team_cannot_find_it(client, agent, django_capture_on_commit_callbacks):
    sales, billing = TeamFactory(name="Sales"), TeamFactory(name="Billing")
    agent.teams.set([sales])
    with django_capture_on_commit_callbacks(execute=True):
        theirs = ConversationFactory(team=billing)
        say(theirs, "我想申请退款 order 5550001")
        ours = ConversationFactory(team=sales)
        say(ours, "退款什么时候到账")
    client.force_login(agent.user)
    assert found(client, "退款") == [ours.pk]
    assert found(client, "5550001") == []
    assert found(client, f"#{theirs.pk}") == []
    other = AgentProfileFactory()
    other.teams.set([billing])
    client.force_login(other.user)
    assert set(found(client, "退款")) == {theirs.pk}


def test_the_index_is_written_after_commit_not_in_the_message_transaction(
    django_capture_on_commit_callbacks,
):
    conv = ConversationFactory()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        message = say(conv, "我想申请退款")
    assert not MessageTerm.objects.filter(message=message).exists()
    assert not any("messageterm" in q["sql"] for q in queries.captured_queries)
    for callback in callbacks:  # the commit: the events' handlers run
        callback()
    rows = MessageTerm.objects.filter(message=message).values_list("conversation_id", "term")
    assert sorted(rows) == [(conv.pk, "申请"), (conv.pk, "退款")]


def test_the_handler_is_idempotent(django_capture_on_commit_callbacks):
    from chat.search.index import messages_index

    with django_capture_on_commit_callbacks(execute=True):
        message = say(ConversationFactory(), "refunds please")
    assert messages_index([message.pk]) == 1
    assert messages_index([message.pk]) == 1
    assert list(MessageTerm.objects.values_list("message_id", "term")) == [(message.pk, "refund")]


def test_the_reindex_command_backfills_what_was_stored_before(agent_client, capsys):
    conv = ConversationFactory()
    MessageFactory(conversation=conv, body="我想申请退款")
    MessageFactory(conversation=conv, body="system line", content_type="event")
    assert found(agent_client, "退款") == []
    call_command("search_reindex")
    assert "Indexed 1 messages" in capsys.readouterr().out  # a system line is not searched
    assert found(agent_client, "退款") == [conv.pk]
    assert found(agent_client, "system") == []
    call_command("search_reindex")  # nothing left to do
    assert "Indexed 0 messages" in capsys.readouterr().out
    assert messages_backfill(rebuild=True) == 1
    assert found(agent_client, "退款") == [conv.pk]


def test_a_search_costs_the_same_number_of_queries_whatever_it_finds(
    agent_client, agent, django_assert_num_queries, django_capture_on_commit_callbacks
):
    team = TeamFactory(name="Sales")
    agent.teams.set([team])

    def fill(count):
        with django_capture_on_commit_callbacks(execute=True):
            for index in range(count):
                conv = ConversationFactory(
                    team=team, customer=CustomerFactory(display_name=f"C{index}")
                )
                say(conv, f"我想申请退款 {index}")
                say(conv, "checking", SenderType.AGENT)

    fill(2)
    # auth 4, scope 3, exact lookups, the word's newest postings, bodies, rows
    with django_assert_num_queries(11) as small:
        assert len(found(agent_client, "退款")) == 2
    fill(20)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(found(agent_client, "退款")) == 22


def test_a_search_pages_on_with_its_cursor_and_each_conversation_comes_once(
    agent_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(7):
            say(ConversationFactory(), f"退款 {index} " + "退款 " * index)
    seen, pages = walk_pages(agent_client, LIST, {"q": "退款", "limit": 3})
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    first = agent_client.get(LIST, {"q": "退款", "limit": 7}).json()["results"]
    assert [row["id"] for row in first] == seen  # the pages are the one ranking, cut


def test_a_search_refuses_a_cursor_it_did_not_give(agent_client, chats):
    inbox_cursor = agent_client.get(LIST, {"limit": 1}).json()["next_cursor"]
    for cursor in (inbox_cursor, "bm90IGEgY3Vyc29y", paging.search_cursor(paging.SEARCH_DEPTH)):
        response = agent_client.get(LIST, {"q": "退款", "cursor": cursor})
        assert response.status_code == 400, cursor
        assert "cursor" in response.json()["error"]["fields"]
    response = agent_client.get(LIST, {"cursor": paging.search_cursor(3)})  # no search: a list
    assert response.status_code == 400


def test_a_search_stops_at_its_depth(agent_client, chats, monkeypatch):
    monkeypatch.setattr(paging, "SEARCH_DEPTH", 2)
    body = agent_client.get(LIST, {"q": "退款 order", "limit": 1}).json()
    assert body["next_cursor"] is not None
    body = agent_client.get(
        LIST, {"q": "退款 order", "limit": 1, "cursor": body["next_cursor"]}
    ).json()
    assert len(body["results"]) == 1 and body["next_cursor"] is None


def test_a_search_reads_a_bounded_number_of_each_words_newest_postings(
    agent_client, django_capture_on_commit_callbacks, monkeypatch
):
    """However many messages have a word, a search reads its newest PER_TERM postings: the
    newest conversations come first, and older ones are read only when a page needs them."""
    monkeypatch.setattr(search_selectors, "PER_TERM", 3)
    with django_capture_on_commit_callbacks(execute=True):
        convs = [ConversationFactory() for _ in range(5)]
        for conv in convs:
            say(conv, "退款 还没到账")
    newest_first = [conv.pk for conv in reversed(convs)]
    with CaptureQueriesContext(connection) as queries:
        hits = search_selectors.conversation_hits(Conversation.objects.all(), "退款", limit=2)
    assert [hit.conversation_id for hit in hits] == newest_first[:2]
    assert len(queries.captured_queries) == 2  # the postings, the two messages' bodies
    # a page deeper than the first read: the word's postings are read again, further back
    assert found(agent_client, "退款") == newest_first


def test_a_message_with_more_of_the_words_comes_first_even_when_older(
    agent_client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(search_selectors, "PER_TERM", 2)
    with django_capture_on_commit_callbacks(execute=True):
        both = ConversationFactory()
        say(both, "耳机没有声音，想退款")
        for _ in range(3):
            say(ConversationFactory(), "耳机坏了")
            say(ConversationFactory(), "退款进度")
    assert found(agent_client, "耳机 退款")[0] == both.pk


def test_the_word_being_typed_finds_the_words_it_starts(agent_client, chats):
    _, english, _ = chats
    assert found(agent_client, "never refun") == [english.pk]
    assert found(agent_client, "third") == [english.pk]
