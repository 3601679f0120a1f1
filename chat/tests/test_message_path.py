"""The message path near the floor: from a `message.send` to the ack, a fixed, small list of SQL
statements whatever reacts to messages (chat/services.py `message_create`,
chat/message_store.py). The reactions (tickets …) run after commit, outside this list."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import events, services
from chat.models import Conversation, ConversationStatus, Message, SenderType
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
from desk.kernel import realtime
from desk.models import OutboxEvent
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import Ticket, TicketEvent, TicketSource
from tickets.services import TicketData, ticket_create_from_conversation

# The whole transaction of a new message: the conversation's conditional UPDATE … RETURNING
# (row lock, seq, counters, scope, closed and resend conditions, what the push needs), the
# message, the domain event.
NEW_MESSAGE = [
    ("UPDATE", '"chat_conversation"'),
    ("INSERT", '"chat_message"'),
    ("INSERT", '"desk_outboxevent"'),
]

# Registries the statement lists must not depend on: none, the project's, and one with more.
NO_HANDLERS: dict[str, list[str]] = {"message.created": []}
MORE_HANDLERS: dict[str, list[str]] = {
    "message.created": [
        "tickets.handlers.message_created_continue_ticket",
        "tickets.handlers.message_created_offline_ticket",
        "chat.tests.test_message_path.heard",
        "chat.tests.test_message_path.heard_too",
    ]
}
REGISTRIES = [
    "chat.tests.test_message_path.NO_HANDLERS",
    "desk.event_handlers.HANDLERS",
    "chat.tests.test_message_path.MORE_HANDLERS",
]
heard_events: list[int] = []


def heard(event) -> None:
    heard_events.append(event.message_id)
    Message.objects.filter(pk=event.message_id).exists()  # a handler that reads


def heard_too(event) -> None:
    heard_events.append(event.message_id)


def statements(queries) -> list[tuple[str, str]]:
    """(kind, table written or read) of each statement, savepoints left out (the test's own
    transaction turns the service's BEGIN/COMMIT into them)."""
    found = []
    for query in queries:
        sql = query["sql"]
        if "SAVEPOINT" in sql:
            continue
        kind = sql.split()[0]
        words = sql.split()
        table = words[2] if kind == "INSERT" else words[1] if kind == "UPDATE" else ""
        if kind == "SELECT":
            table = words[words.index("FROM") + 1]
        found.append((kind, table))
    return found


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    heard_events.clear()
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: None)


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", team=TeamFactory(name="Sales"), offline_tickets=True)


@pytest.fixture
def visitor_chat(site):
    session = widget_sessions.widget_session_open(site=site, context={})
    conversation, _ = widget_services.visitor_conversation_start(visitor=session.visitor)
    return session.visitor, conversation


@pytest.mark.django_db
@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_widget_send_is_three_statements_whatever_subscribes(
    settings, visitor_chat, registry, django_capture_on_commit_callbacks
):
    settings.DOMAIN_EVENT_HANDLERS = registry
    visitor, conversation = visitor_chat
    # Work for the handlers: the conversation has a ticket the message continues.
    ticket_create_from_conversation(
        actor=None, conversation=conversation, data=TicketData(subject="s"), source="button"
    )

    # What the widget socket's `message.send` runs (chat/widget/consumers.py), and its ack.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        result = widget_services.widget_message_send(
            visitor=visitor, client_msg_id="c-1", body="hello", conversation_id=conversation.pk
        )
        events.customer_message_json(result.message)

    assert statements(queries) == NEW_MESSAGE
    assert result.created and result.message.seq == 2  # the ticket card was 1
    assert callbacks  # the push and the handlers: after commit
    if registry != REGISTRIES[0]:
        assert TicketEvent.objects.filter(message=result.message).count() == 1
    assert heard_events.count(result.message.pk) == (2 if "MORE" in registry else 0)


# A visitor's first message: the visitor's lock (with its site, team and customer), the resend
# look-up across its conversations, the open-conversation look-up, the new conversation (routed
# and on its site in the one INSERT), then the new message's three; its announcement reads
# nothing again.
FIRST_MESSAGE = [
    ("SELECT", '"chat_widgetvisitor"'),
    ("SELECT", '"chat_message"'),
    ("SELECT", '"chat_conversation"'),
    ("INSERT", '"chat_conversation"'),
    *NEW_MESSAGE,
]


@pytest.mark.django_db
def test_a_visitors_first_message_starts_the_conversation_in_seven_statements(site):
    session = widget_sessions.widget_session_open(site=site, context={})
    visitor = widget_sessions.visitor_from_token(session.token)

    with CaptureQueriesContext(connection) as queries:
        result = widget_services.widget_message_send(
            visitor=visitor, client_msg_id="c-1", body="hello", conversation_id=None
        )
        events.customer_message_json(result.message)

    assert statements(queries) == FIRST_MESSAGE
    conversation = result.message.conversation
    assert (conversation.team_id, conversation.widget_site_id) == (site.team_id, site.pk)
    assert result.message.seq == 1


@pytest.mark.django_db
@pytest.mark.parametrize("registry", REGISTRIES)
def test_an_agent_send_is_three_statements_whatever_subscribes(settings, registry):
    settings.DOMAIN_EVENT_HANDLERS = registry
    agent = AgentProfileFactory()
    other = AgentProfileFactory(display_name="Assignee")
    team = TeamFactory(name="Support")
    conversation = ConversationFactory(assignee=other.user, team=team)

    # What the agent socket's `message.send` runs after its access check
    # (desk/workspace/conversation_frames.py); `agent.user` as the socket has it (no profile).
    actor = type(agent.user).objects.get(pk=agent.user.pk)
    with CaptureQueriesContext(connection) as queries:
        result = services.message_send_as_agent(
            actor=actor, conversation=Conversation(pk=conversation.pk), body="hi",
            client_msg_id="a-1",
        )  # fmt: skip
        ack = events.message_json(result.message)
        push = events.conversation_json(result.message.conversation)

    assert statements(queries) == NEW_MESSAGE
    assert ack["sender"] == {"id": agent.user.pk, "name": agent.display_name, "avatar_url": ""}
    assert push["customer"]["name"] == conversation.customer.display_name
    assert push["assignee"] == {"id": other.user.pk, "name": "Assignee"}
    assert push["team"] == {"id": team.pk, "name": "Support"}
    assert (push["status"], push["last_seq"], push["unread_by_customer"]) == ("open", 1, 1)


@pytest.mark.django_db
def test_the_push_and_the_row_agree(agent):
    """What the UPDATE returned is what a fresh read of the conversation says."""
    conversation = ConversationFactory(team=TeamFactory(), assignee=agent.user)
    services.message_create(conversation=conversation, sender_type="customer", body="a")

    result = services.message_create(conversation=conversation, sender_type="customer", body="b")

    fresh = Conversation.objects.select_related("customer", "assignee", "team").get(
        pk=conversation.pk
    )
    assert events.conversation_json(result.message.conversation) == events.conversation_json(fresh)


@pytest.mark.django_db
def test_a_resend_writes_nothing_and_moves_no_counter(agent):
    conversation = ConversationFactory()
    first = services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="hi", client_msg_id="a-1"
    )
    before = Conversation.objects.get(pk=conversation.pk)

    again = services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="hi", client_msg_id="a-1"
    )

    after = Conversation.objects.get(pk=conversation.pk)
    assert (again.created, again.message.pk) == (False, first.message.pk)
    assert (after.last_seq, after.unread_by_customer) == (before.last_seq, 1)
    assert OutboxEvent.objects.filter(type="message.created").count() == 1


@pytest.mark.django_db
def test_a_widget_resend_into_a_newer_conversation_returns_the_first_row(visitor_chat):
    """Stored in a conversation that closed since, resent into the open one a new socket now
    follows: the fast path's UPDATE refuses it, and the stored row comes back."""
    visitor, old = visitor_chat
    first = widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="hello", conversation_id=old.pk
    )
    Conversation.objects.filter(pk=old.pk).update(status=ConversationStatus.CLOSED)
    new, created = widget_services.visitor_conversation_start(visitor=visitor)
    assert created

    again = widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="hello", conversation_id=new.pk
    )

    assert (again.created, again.message.pk) == (False, first.message.pk)
    new.refresh_from_db()
    assert (new.last_seq, new.unread_by_agent) == (0, 0)
    assert Message.objects.filter(client_msg_id="c-1").count() == 1


@pytest.mark.django_db
def test_a_widget_send_never_reaches_another_visitors_conversation(site, visitor_chat):
    visitor, _ = visitor_chat
    stranger = widget_sessions.widget_session_open(site=site, context={}).visitor
    theirs, _ = widget_services.visitor_conversation_start(visitor=stranger)

    result = widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="hello", conversation_id=theirs.pk
    )

    assert result.message.conversation_id != theirs.pk
    assert result.message.conversation.customer_id == visitor.customer_id
    theirs.refresh_from_db()
    assert theirs.last_seq == 0


@pytest.mark.django_db
def test_a_closed_conversation_refuses_a_new_agent_reply_but_returns_a_resend(agent):
    conversation = ConversationFactory()
    first = services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="bye", client_msg_id="a-1"
    )
    Conversation.objects.filter(pk=conversation.pk).update(status=ConversationStatus.CLOSED)

    again = services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="bye", client_msg_id="a-1"
    )
    with pytest.raises(services.ConversationClosed):
        services.message_send_as_agent(
            actor=agent.user, conversation=conversation, body="more", client_msg_id="a-2"
        )

    assert (again.created, again.message.pk) == (False, first.message.pk)
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 1


@pytest.mark.django_db
def test_no_ticket_work_happens_in_the_message_transaction(visitor_chat):
    """Leave-a-message mode and keyword triggers are handlers: inside the message's
    transaction (callbacks not run) there is no ticket, after it there is."""
    visitor, conversation = visitor_chat

    widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="anyone?", conversation_id=conversation.pk
    )

    assert not Ticket.objects.exists()
    (event,) = OutboxEvent.objects.filter(type="message.created")
    assert event.payload == {
        "sender_type": "customer",
        "is_internal": False,
        "seq": 1,
        "channel": "web",
        "assigned": False,  # routing's handler takes it (chat/assignment/handlers.py)
    }
    assert (event.conversation_id, event.done_at) == (conversation.pk, None)


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_first_message_with_nobody_online_becomes_an_offline_ticket(
    visitor_chat,
):
    visitor, conversation = visitor_chat

    widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="anyone?", conversation_id=conversation.pk
    )

    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.conversation_id) == (TicketSource.OFFLINE, conversation.pk)
    assert not OutboxEvent.objects.filter(done_at=None).exists()


# ---- concurrency (PostgreSQL row locks) ------------------------------------------------------


def _race(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(i)
            with lock:
                results.append(result)
        except BaseException as exc:  # reported below, a thread must not swallow it
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_get_every_seq_once_and_count_every_message():
    conversation = ConversationFactory()

    _race(
        8,
        lambda i: services.message_create(
            conversation=Conversation(pk=conversation.pk),
            sender_type=SenderType.CUSTOMER,
            body=f"m{i}",
            client_msg_id=f"c-{i}",
        ),
    )

    conversation.refresh_from_db()
    seqs = sorted(Message.objects.filter(conversation=conversation).values_list("seq", flat=True))
    assert seqs == list(range(1, 9))
    assert (conversation.last_seq, conversation.unread_by_agent) == (8, 8)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_of_one_id_make_one_row_and_no_gap():
    conversation = ConversationFactory()

    results = _race(
        8,
        lambda i: services.message_create(
            conversation=Conversation(pk=conversation.pk),
            sender_type=SenderType.CUSTOMER,
            body="once",
            client_msg_id="c-1",
        ),
    )

    conversation.refresh_from_db()
    assert sorted(result.created for result in results) == [False] * 7 + [True]
    assert len({result.message.pk for result in results}) == 1
    assert (conversation.last_seq, conversation.unread_by_agent) == (1, 1)
