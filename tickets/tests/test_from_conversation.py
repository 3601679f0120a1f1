"""转工单: a conversation becomes one ticket with its transcript and context, and a chat card."""

import datetime
import threading
import zoneinfo

import pytest
from django.db import connection
from django.utils import translation

from chat.models import Conversation, Message
from chat.services import message_create
from chat.tests.factories import (
    AttachmentFactory,
    ConversationFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
)
from desk.kernel import realtime
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets import selectors
from tickets.models import Ticket
from tickets.selectors import conversation_transcript, ticket_prefill_from_conversation
from tickets.services import TicketData, ticket_create_from_conversation, ticket_update_fields
from tickets.tests.helpers import customer_events, ticket_cards

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def _say(conversation, hour: int, minute: int, second: int = 0, **kwargs) -> Message:
    """A message stored by the chat service, at a pinned time (UTC; the site is at +8)."""
    kwargs.setdefault("sender_type", "customer")
    message = message_create(conversation=conversation, **kwargs).message
    when = datetime.datetime(2026, 3, 1, hour, minute, second, tzinfo=UTC)
    Message.objects.filter(pk=message.pk).update(created_at=when)
    return message


def _shop_chat(*, vip_level: int = 0, language: str = "zh-hans", team=None) -> Conversation:
    customer = CustomerFactory(
        display_name="王小明",
        vip_level=vip_level,
        language=language,
        attributes={"order_no": "SO-1001", "plan": "gold"},
    )
    CustomerIdentityFactory(customer=customer, kind="web_visitor", external_id="v-1")
    CustomerIdentityFactory(customer=customer, kind="email", external_id="wxm@example.com")
    conversation = ConversationFactory(
        customer=customer,
        team=team,
        device="MacBook Pro",
        os="macOS 14",
        browser="Chrome 126",
        page_url="https://shop.example.com/orders/1001",
        page_title="My orders",
        app_version="",
    )
    carol = AgentProfileFactory(display_name="Carol").user
    _say(conversation, 2, 0, 5, body="  我的订单\n还没到  ")
    _say(conversation, 2, 1, sender_type="agent", sender_user=carol, body="请提供订单号")
    note = {"sender_type": "agent", "sender_user": carol, "is_internal": True}
    _say(conversation, 2, 1, 30, body="VIP, be nice", **note)
    activity = {"sender_type": "system", "content_type": "event", "is_internal": True}
    _say(conversation, 2, 1, 40, body="assignee: - → carol", **activity)
    _say(conversation, 2, 2, body="SO-1001\n谢谢")
    _say(conversation, 2, 3, sender_type="bot", body="已转人工")
    photo = AttachmentFactory(conversation=conversation, original_name="photo.png")
    _say(conversation, 2, 4, attachment_ids=[photo.pk])
    return conversation


TRANSCRIPT = (
    "[2026-03-01 10:00:05 UTC+08:00] 王小明: 我的订单\n    还没到\n"
    "[2026-03-01 10:01:00 UTC+08:00] Carol: 请提供订单号\n"
    "[2026-03-01 10:02:00 UTC+08:00] 王小明: SO-1001\n    谢谢\n"
    "[2026-03-01 10:03:00 UTC+08:00] Bot: 已转人工\n"
    "[2026-03-01 10:04:00 UTC+08:00] 王小明: [photo.png]"
)


# ---- transcript and prefill -----------------------------------------------------------------


def test_transcript_has_customer_agent_and_bot_lines_with_time_and_author_but_no_notes():
    conversation = _shop_chat()

    with translation.override("en"):
        transcript = conversation_transcript(conversation)

    assert transcript == TRANSCRIPT
    assert "VIP, be nice" not in transcript and "assignee" not in transcript


def test_the_transcript_is_in_the_readers_time_zone_and_names_it():
    """One ticket, one clock: the 转工单 form's transcript uses the agent's zone (the browser's,
    as the timeline does), and the stored text says which zone it is in."""
    conversation = _shop_chat()

    with translation.override("en"):
        berlin = conversation_transcript(conversation, zone=zoneinfo.ZoneInfo("Europe/Berlin"))
        utc = ticket_prefill_from_conversation(conversation, zone=datetime.UTC)["description"]

    assert berlin.splitlines()[:2] == [
        "[2026-03-01 03:00:05 UTC+01:00] 王小明: 我的订单",
        "    还没到",
    ]
    assert utc.splitlines()[-1] == "[2026-03-01 02:04:00 UTC+00:00] 王小明: [photo.png]"


def test_a_long_transcript_keeps_the_newest_messages_and_says_so(monkeypatch):
    conversation = _shop_chat()
    monkeypatch.setattr(selectors, "TRANSCRIPT_LIMIT", 2)

    with translation.override("en"):
        english = conversation_transcript(conversation)
    with translation.override("zh-hans"):
        chinese = conversation_transcript(conversation)

    assert english.splitlines() == [
        "(earlier messages left out)",
        "[2026-03-01 10:03:00 UTC+08:00] Bot: 已转人工",
        "[2026-03-01 10:04:00 UTC+08:00] 王小明: [photo.png]",
    ]
    assert chinese.splitlines()[:2] == [
        "（较早的消息已省略）",
        "[2026-03-01 10:03:00 UTC+08:00] 机器人: 已转人工",
    ]


def test_prefill_has_subject_transcript_requester_identities_context_and_attributes():
    team = TeamFactory(name="Orders")
    conversation = _shop_chat(team=team)

    with translation.override("en"):
        prefill = ticket_prefill_from_conversation(conversation)

    assert prefill == {
        "subject": "我的订单 还没到",
        "description": TRANSCRIPT,
        "requester": conversation.customer,
        "identities": [
            {"kind": "email", "external_id": "wxm@example.com", "verified": False},
            {"kind": "web_visitor", "external_id": "v-1", "verified": False},
        ],
        "context": {
            "channel": "web",
            "device": "MacBook Pro",
            "os": "macOS 14",
            "browser": "Chrome 126",
            "page_url": "https://shop.example.com/orders/1001",
            "page_title": "My orders",
        },
        "attributes": {"order_no": "SO-1001", "plan": "gold"},
        "priority": 2,
        "team": team,
        "custom_fields": {
            "context": {
                "channel": "web",
                "device": "MacBook Pro",
                "os": "macOS 14",
                "browser": "Chrome 126",
                "page_url": "https://shop.example.com/orders/1001",
                "page_title": "My orders",
            },
            "customer_attributes": {"order_no": "SO-1001", "plan": "gold"},
        },
    }


def test_subject_is_cut_at_sixty_characters():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, sender_type="agent", body="Agent speaks first")
    MessageFactory(conversation=conversation, body="")
    MessageFactory(conversation=conversation, body="x" * 59 + " tail that is cut")

    subject = ticket_prefill_from_conversation(conversation)["subject"]

    assert subject == "x" * 59 + "…"
    assert len(subject) == 60


def test_subject_without_customer_words_falls_back_to_the_conversation():
    with_subject = ConversationFactory(subject="Refund")
    without = ConversationFactory()

    with translation.override("en"):
        subjects = [ticket_prefill_from_conversation(c)["subject"] for c in (with_subject, without)]

    assert subjects == ["Refund", f"Conversation #{without.pk}"]


@pytest.mark.parametrize(
    ("vip_level", "conversation_priority", "suggested"),
    [(0, 2, 2), (0, 3, 3), (1, 2, 1), (7, 3, 1), (3, 0, 0)],
)
def test_vip_customers_get_at_least_high_priority(vip_level, conversation_priority, suggested):
    customer = CustomerFactory(vip_level=vip_level, attributes={})
    conversation = ConversationFactory(customer=customer, priority=conversation_priority)

    prefill = ticket_prefill_from_conversation(conversation)

    assert prefill["priority"] == suggested
    expected = {"vip_level": vip_level} if vip_level else {}
    assert prefill["attributes"] == expected


# ---- ticket_create_from_conversation --------------------------------------------------------


def test_conversion_creates_a_new_ticket_with_transcript_context_and_a_card_in_the_chat(
    agent, published, django_capture_on_commit_callbacks
):
    team = TeamFactory(name="Orders")
    conversation = _shop_chat(team=team)
    last_seq = Conversation.objects.get(pk=conversation.pk).last_seq

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        result = ticket_create_from_conversation(
            actor=agent.user,
            conversation=conversation,
            data=TicketData(subject="", priority=1, custom_fields={"plan": "platinum"}),
            source="button",
        )

    ticket = result.ticket
    assert result.created is True
    assert (ticket.subject, ticket.description) == ("我的订单 还没到", TRANSCRIPT)
    assert (ticket.status, ticket.priority, ticket.source) == ("new", 1, "button")
    assert (ticket.requester, ticket.team, ticket.conversation) == (
        conversation.customer,
        team,
        conversation,
    )
    assert ticket.created_by == agent.user
    assert ticket.custom_fields == {
        "context": {
            "channel": "web",
            "device": "MacBook Pro",
            "os": "macOS 14",
            "browser": "Chrome 126",
            "page_url": "https://shop.example.com/orders/1001",
            "page_title": "My orders",
        },
        "customer_attributes": {"order_no": "SO-1001", "plan": "gold"},
        "plan": "platinum",
    }
    assert list(ticket.events.values_list("kind", "actor", "new_value")) == [
        ("created", agent.user.pk, "button")
    ]
    (card,) = ticket_cards(conversation)
    assert (card.seq, card.sender_type, card.is_internal, card.sender_user) == (
        last_seq + 1,
        "system",
        False,
        None,
    )
    assert card.body == f"我们已为您创建工单 {ticket.number}，处理进度将在这里通知您。"
    assert card.payload == {
        "event": "ticket.created",
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "subject": "我的订单 还没到",
        "status": "new",
        "old_status": "",
        "assignee_name": "",
    }
    (pushed,) = customer_events(published, conversation.pk)
    assert pushed["type"] == "message.new"
    assert (pushed["seq"], pushed["message"]["content_type"]) == (card.seq, "ticket")
    assert pushed["message"]["payload"]["number"] == ticket.number


def test_card_speaks_the_customers_language():
    conversation = ConversationFactory(customer=CustomerFactory(language="en"))

    result = ticket_create_from_conversation(
        actor=None, conversation=conversation, data=TicketData(subject="Help"), source="offline"
    )

    (card,) = ticket_cards(conversation)
    assert card.body == (
        f"We have created ticket {result.ticket.number} for your request. "
        "Its progress will appear here."
    )


def test_given_description_team_and_subject_are_kept(agent):
    conversation = _shop_chat(team=TeamFactory(name="Orders"))
    other_team = TeamFactory(name="Billing")

    ticket = ticket_create_from_conversation(
        actor=agent.user,
        conversation=conversation,
        data=TicketData(subject="Parcel lost", description="See chat", team=other_team),
        source="menu",
    ).ticket

    assert (ticket.subject, ticket.description, ticket.team) == (
        "Parcel lost",
        "See chat",
        other_team,
    )


def test_a_second_conversion_returns_the_open_ticket_and_writes_nothing(agent):
    conversation = _shop_chat()
    first = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="A"), source="button"
    )
    messages = Message.objects.filter(conversation=conversation).count()

    again = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="B"), source="keyword"
    )

    assert (again.created, again.ticket.pk) == (False, first.ticket.pk)
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(conversation=conversation).count() == messages
    assert again.ticket.events.count() == 1


@pytest.mark.parametrize("status", ["open", "in_progress", "pending"])
def test_any_unfinished_ticket_counts_as_open(agent, status):
    conversation = _shop_chat()
    first = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="A"), source="button"
    ).ticket
    ticket_update_fields(actor=agent.user, ticket=first, changes={"status": status})

    again = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="B"), source="button"
    )

    assert (again.created, again.ticket.pk) == (False, first.pk)


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_once_the_ticket_is_done_a_new_one_is_made(agent, status):
    conversation = _shop_chat()
    first = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="A"), source="button"
    ).ticket
    ticket_update_fields(actor=agent.user, ticket=first, changes={"status": status})

    again = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="B"), source="timeout"
    )

    assert again.created is True
    assert again.ticket.pk != first.pk
    assert again.ticket.source == "timeout"
    assert Ticket.objects.filter(conversation=conversation).count() == 2


def test_allow_additional_makes_a_second_ticket_while_one_is_open(agent):
    conversation = _shop_chat()
    first = ticket_create_from_conversation(
        actor=agent.user, conversation=conversation, data=TicketData(subject="A"), source="button"
    ).ticket

    second = ticket_create_from_conversation(
        actor=agent.user,
        conversation=conversation,
        data=TicketData(subject="B"),
        source="unresolved",
        allow_additional=True,
    )

    assert second.created is True
    assert second.ticket.pk != first.pk
    assert [c.payload["number"] for c in ticket_cards(conversation)] == [
        first.number,
        second.ticket.number,
    ]


@pytest.mark.parametrize("source", ["manual", "api", ""])
def test_an_unknown_source_is_refused(agent, source):
    conversation = _shop_chat()

    with pytest.raises(ValueError, match="unknown source"):
        ticket_create_from_conversation(
            actor=agent.user, conversation=conversation, data=TicketData(subject="A"), source=source
        )

    assert not Ticket.objects.exists()
    assert ticket_cards(conversation) == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_conversions_make_exactly_one_ticket(monkeypatch):
    threads_count = 8
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: None)
    conversation = ConversationFactory()
    message_create(conversation=conversation, sender_type="customer", body="Where is my parcel?")
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = ticket_create_from_conversation(
                actor=None,
                conversation=Conversation(pk=conversation.pk),
                data=TicketData(subject=f"race {i}"),
                source="button",
            )
            with lock:
                results.append((result.ticket.pk, result.created))
        except BaseException as exc:  # reported below, a thread must not swallow it
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == threads_count
    (ticket,) = Ticket.objects.all()
    assert {pk for pk, _created in results} == {ticket.pk}
    assert sorted(created for _pk, created in results) == [False] * (threads_count - 1) + [True]
    assert [c.payload["ticket_id"] for c in ticket_cards(conversation)] == [ticket.pk]
