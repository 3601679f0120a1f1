"""The worker's share of a message: the statements every `message.created` handler together
spends on one customer message in a conversation that is under way (assigned, waiting for its
answer, past its opening), and the classifier's work per message. The latency customers and
agents see shares the machine with this worker (bench/ws_load.py), so this list is pinned like
the message transaction's (chat/tests/test_message_path.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import Conversation, SenderType
from chat.tests.factories import ConversationFactory
from desk.kernel import realtime
from desk.kernel.domain_events import dispatch
from desk.models import OutboxEvent
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.assist import handlers as assist_handlers
from tickets.models import CategoryKeywords
from tickets.tests.factories import CategoryFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

# The drain's read of the event, then every handler of a customer's message mid-conversation
# (BEGIN and COMMIT of each left out; the marker is one INSERT … ON CONFLICT, no savepoint):
#   continue_ticket   marker, the message and its conversation, "had it a ticket?"
#   conversation_sla  marker, the message with its conversation's clock (waiting already: done)
#   assist            marker, the message with its conversation's flags (no new mood: done)
#   search index      marker, the message, the index row's upsert
# and the drain's "done" UPDATE.
MID_CONVERSATION_STATEMENTS = 12


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: None)


@pytest.fixture
def chat() -> Conversation:
    team = TeamFactory(name="Sales")
    agent = AgentProfileFactory(user__username="a1", presence="online", teams=[team])
    SlaPolicyFactory(name="Everyone")
    refunds = CategoryFactory(name="Refunds")
    CategoryKeywords.objects.create(category=refunds, keywords="refund\n退款")
    return ConversationFactory(team=team, assignee=agent.user)


def said(conversation: Conversation, body: str, sender: str = SenderType.CUSTOMER) -> int:
    """Store a message as the services do and return its event's id (not handled yet: the
    test's transaction never commits)."""
    services.message_create(conversation=conversation, sender_type=sender, body=body)
    return OutboxEvent.objects.filter(type="message.created").latest("pk").pk


def handled(event_id: int) -> list[str]:
    """Run the event's handlers; the SQL they ran, savepoints left out."""
    with CaptureQueriesContext(connection) as queries:
        dispatch.dispatch([event_id])
    assert OutboxEvent.objects.get(pk=event_id).done_at is not None
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


def test_a_customer_message_mid_conversation_costs_the_worker_a_fixed_few_statements(chat):
    for index in range(assist_handlers.OPENING_SEQ + 2):
        handled(said(chat, f"message {index}"))
    chat.refresh_from_db()
    assert chat.sla_started_at is not None  # waiting for an answer

    statements = handled(said(chat, "and one more thing"))

    assert len(statements) == MID_CONVERSATION_STATEMENTS, "\n".join(statements)
    assert not [sql for sql in statements if "FOR UPDATE" in sql]  # nothing changed: no lock


def test_the_category_is_read_from_the_opening_and_moods_from_every_message(chat, monkeypatch):
    classified: list[str] = []
    classify = assist_handlers.text_classify
    monkeypatch.setattr(
        assist_handlers, "text_classify", lambda text: classified.append(text) or classify(text)
    )

    handled(said(chat, "hello"))
    handled(said(chat, "I want a refund"))
    chat.refresh_from_db()
    assert chat.detected_category == "Refunds"
    assert classified == ["hello", "hello\nI want a refund"]

    while chat.last_seq < assist_handlers.OPENING_SEQ:
        handled(said(chat, "ok"))
        chat.refresh_from_db()
    classified.clear()
    for body in ("still there?", "this is useless, 太差了!!!", "hello?"):
        handled(said(chat, body))

    assert classified == []  # past the opening: the category stays what it said
    chat.refresh_from_db()
    assert (chat.detected_category, chat.angry, chat.mood_words) == (
        "Refunds",
        True,
        ["太差", "!!!"],
    )
