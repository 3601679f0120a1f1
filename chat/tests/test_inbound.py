"""The inbound path every provider adapter uses: a provider message lands once, in the customer's
open conversation on its channel, and reaches the agents' inboxes after commit."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import events, inbound
from chat.context import ConversationContext
from chat.inbound import InboundMessage, inbound_message_receive
from chat.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
)
from chat.services import IdentityRef
from chat.tests.factories import ConversationFactory, CustomerIdentityFactory, MessageFactory
from desk.kernel import realtime

pytestmark = pytest.mark.django_db


def app_message(provider_id="m-1", user="u-1", body="你好", **extra) -> InboundMessage:
    return InboundMessage(
        channel=Channel.APP,
        provider_message_id=provider_id,
        identity=IdentityRef(kind=IdentityKind.APP_USER, external_id=user, verified=True),
        body=body,
        **extra,
    )


@pytest.fixture
def known():
    """An app user we know, with an open app conversation of one message."""
    identity = CustomerIdentityFactory(kind=IdentityKind.APP_USER, external_id="u-1")
    conversation = ConversationFactory(
        customer=identity.customer, channel=Channel.APP, status=ConversationStatus.OPEN
    )
    MessageFactory(conversation=conversation)
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=1)
    return conversation


@pytest.fixture
def sent(monkeypatch):
    """(groups, event) of every push that left (after commit)."""
    pushes: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: pushes.append((groups, event)))
    return pushes


def test_first_contact_makes_the_customer_and_a_conversation_with_the_app_context():
    sent_at = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    result = inbound_message_receive(
        message=app_message(
            display_name="李雷",
            sent_at=sent_at,
            context=ConversationContext(device="Pixel 8", os="Android 15", app_version="3.2.1"),
        )
    )

    assert result.created
    message = Message.objects.get()
    assert message == result.message
    assert (message.seq, message.channel, message.sender_type, message.body) == (
        1, "app", "customer", "你好",
    )  # fmt: skip
    assert message.provider_message_id == "m-1"
    assert message.payload == {"sent_at": "2025-03-01T08:30:00+00:00"}
    conversation = message.conversation
    assert (conversation.channel, conversation.status, conversation.last_seq) == (
        "app",
        "waiting",
        1,
    )
    assert (conversation.device, conversation.os, conversation.app_version) == (
        "Pixel 8", "Android 15", "3.2.1",
    )  # fmt: skip
    assert conversation.unread_by_agent == 1
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.external_id, identity.verified) == ("app_user", "u-1", True)
    assert identity.customer == conversation.customer
    assert conversation.customer.display_name == "李雷"


def test_a_known_customer_writes_into_the_open_conversation(known):
    result = inbound_message_receive(message=app_message(display_name="Someone else"))

    assert result.created
    assert result.message.conversation_id == known.pk
    assert result.message.seq == 2
    assert Conversation.objects.count() == 1
    assert Customer.objects.get().display_name == known.customer.display_name  # kept


def test_the_same_user_on_another_channel_or_kind_is_not_this_customer(known):
    CustomerIdentityFactory(kind=IdentityKind.TELEGRAM, external_id="u-2")
    ConversationFactory(customer=known.customer, channel=Channel.WEB)

    result = inbound_message_receive(message=app_message(user="u-2"))

    assert result.message.conversation.customer != known.customer
    assert CustomerIdentity.objects.get(kind="app_user", external_id="u-2")


def test_a_redelivery_returns_the_stored_row_and_stores_nothing(
    known, sent, django_capture_on_commit_callbacks
):
    first = inbound_message_receive(message=app_message()).message

    with django_capture_on_commit_callbacks(execute=True):
        again = inbound_message_receive(message=app_message(body="changed on the way"))

    assert not again.created
    assert again.message == first
    assert Message.objects.filter(provider_message_id="m-1").count() == 1
    assert Message.objects.get(provider_message_id="m-1").body == "你好"
    assert sent == []  # nothing new, nothing pushed


def test_a_redelivery_after_the_conversation_closed_starts_nothing_new(known):
    first = inbound_message_receive(message=app_message()).message
    Conversation.objects.filter(pk=known.pk).update(status=ConversationStatus.CLOSED)

    again = inbound_message_receive(message=app_message())

    assert not again.created
    assert again.message == first
    assert Message.objects.count() == 2
    assert list(Conversation.objects.values_list("pk", flat=True)) == [known.pk]


def test_a_new_message_after_the_close_starts_a_new_conversation(known):
    Conversation.objects.filter(pk=known.pk).update(status=ConversationStatus.CLOSED)

    result = inbound_message_receive(message=app_message("m-2"))

    assert result.created
    assert result.message.conversation_id != known.pk
    assert result.message.seq == 1
    assert result.message.conversation.customer_id == known.customer_id
    assert Customer.objects.count() == 1


def test_a_close_between_the_lookup_and_the_store_starts_a_new_conversation(known, monkeypatch):
    """The open conversation was found, then an agent closed it before the message got in."""
    Conversation.objects.filter(pk=known.pk).update(status=ConversationStatus.CLOSED)
    monkeypatch.setattr(
        inbound, "_open_conversation_id", lambda channel, identity, account_id: known.pk
    )

    result = inbound_message_receive(message=app_message("m-2"))

    assert result.created
    assert result.message.conversation_id != known.pk
    assert Message.objects.filter(conversation=known).count() == 1  # nothing into the closed one


def test_provider_ids_are_unique_per_channel_only(known):
    other = ConversationFactory(channel=Channel.TELEGRAM)
    MessageFactory(conversation=other, provider_message_id="m-1")

    result = inbound_message_receive(message=app_message("m-1"))

    assert result.created
    assert result.message.conversation_id == known.pk


def test_the_message_reaches_the_agents_inboxes_after_commit(
    known, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_message_receive(message=app_message())
        assert sent == []  # not before the commit

    pushed = {group: event for groups, event in sent for group in groups}
    for group in events.inbox_groups(known):
        assert pushed[group]["type"] == "message.new"
        assert pushed[group]["message"]["id"] == result.message.pk
        assert pushed[group]["message"]["body"] == "你好"
        assert pushed[group]["conversation"]["unread_by_agent"] == 1
    assert events.INBOX_UNOWNED in pushed


def test_a_first_contact_shows_up_in_the_inbox_with_its_conversation(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_message_receive(message=app_message(display_name="李雷"))

    pushed = {group: event for groups, event in sent for group in groups}
    summary = pushed[events.INBOX_ALL]["conversation"]
    assert summary["id"] == result.message.conversation_id
    assert summary["channel"] == "app"
    assert summary["customer"]["name"] == "李雷"


def test_the_envelope_refuses_what_no_adapter_may_hand_over():
    with pytest.raises(ValueError, match="provider_message_id"):
        app_message(provider_id="")
    with pytest.raises(ValueError, match="channel"):
        InboundMessage(
            channel="fax", provider_message_id="x", identity=IdentityRef("app_user", "u")
        )
    with pytest.raises(ValueError, match="identity"):
        app_message(user="")


# Registries the statement list must not depend on: none, the project's, and one with more.
NO_HANDLERS: dict[str, list[str]] = {"message.created": []}
MORE_HANDLERS: dict[str, list[str]] = {
    "message.created": [
        "tickets.handlers.message_created_continue_ticket",
        "chat.tests.test_inbound.a_handler_that_reads",
    ]
}
heard: list[int] = []


def a_handler_that_reads(event) -> None:
    heard.append(event.message_id)
    Message.objects.filter(pk=event.message_id).exists()


def statements(queries) -> list[tuple[str, str]]:
    """(kind, table) of each statement; savepoints left out (the test's own transaction turns
    the service's BEGIN/COMMIT into them)."""
    found = []
    for query in queries:
        words = query["sql"].split()
        if "SAVEPOINT" in words:
            continue
        kind = words[0]
        table = {"INSERT": words[2], "UPDATE": words[1]}.get(kind, "")
        if kind == "SELECT":
            table = words[words.index("FROM") + 1]
        found.append((kind, table))
    return found


# A known customer's message into their open conversation: identity → that customer's open
# conversation on the channel (one SELECT, the identity a subquery), then message_create's
# transaction: the conversation's conditional UPDATE … RETURNING (row lock, seq, counters, not
# closed, what the push needs), the message's INSERT (the provider id's unique constraint is
# the dedupe), the domain event's INSERT. Tickets and the rest react after commit.
STEADY_STATE = [
    ("SELECT", '"chat_conversation"'),
    ("UPDATE", '"chat_conversation"'),
    ("INSERT", '"chat_message"'),
    ("INSERT", '"desk_outboxevent"'),
]


@pytest.mark.parametrize(
    "registry",
    [
        "chat.tests.test_inbound.NO_HANDLERS",
        "desk.event_handlers.HANDLERS",
        "chat.tests.test_inbound.MORE_HANDLERS",
    ],
)
def test_the_steady_state_is_one_lookup_and_the_store_whatever_subscribes(
    known, settings, registry, sent, django_capture_on_commit_callbacks
):
    settings.DOMAIN_EVENT_HANDLERS = registry
    heard.clear()

    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        result = inbound_message_receive(message=app_message("m-2"))
        events.message_json(result.message)  # what the push carries costs nothing more
        events.conversation_json(result.message.conversation)

    assert statements(queries) == STEADY_STATE
    assert "chat_customeridentity" in queries[0]["sql"]
    assert result.created and result.message.seq == 2
    assert sent  # pushed after commit
    assert heard == ([result.message.pk] if "MORE" in registry else [])


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("customer", ["new", "after a close"])
def test_concurrent_deliveries_start_one_conversation_and_store_each_id_once(monkeypatch, customer):
    """A user's messages and the provider's retries of them, all at once: from a new user, and
    from a known one whose conversation has closed (nothing open to write into)."""
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: None)
    if customer != "new":
        identity = CustomerIdentityFactory(kind=IdentityKind.APP_USER, external_id="u-1")
        ConversationFactory(
            customer=identity.customer, channel=Channel.APP, status=ConversationStatus.CLOSED
        )
    ids = ["m-1", "m-2", "m-3", "m-1", "m-2", "m-3", "m-1", "m-2"]
    barrier = threading.Barrier(len(ids))
    results: list[tuple[str, int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(provider_id: str) -> None:
        try:
            barrier.wait(timeout=30)
            result = inbound_message_receive(message=app_message(provider_id))
            with lock:
                results.append((provider_id, result.message.pk, result.created))
        except BaseException as exc:  # reported below, a thread must not swallow it
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Customer.objects.count() == 1
    (started,) = Conversation.objects.exclude(status=ConversationStatus.CLOSED)
    stored = dict(Message.objects.values_list("provider_message_id", "pk"))
    assert sorted(stored) == ["m-1", "m-2", "m-3"]
    assert sorted(Message.objects.filter(conversation=started).values_list("seq", flat=True)) == [
        1, 2, 3,
    ]  # fmt: skip
    assert {(pid, pk) for pid, pk, _ in results} == set(stored.items())
    assert sum(created for _, _, created in results) == 3
