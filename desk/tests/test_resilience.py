"""No message lost (docs/protocol.md, "Delivery guarantees"), with real daphne processes and
python socket clients: a server restart, a Redis restart, and pushes dropped on purpose.

The database is the source of truth: an ack means the row is committed, a resend with the same
`client_msg_id` never stores a second row, and `sync {after_seq}` replays whatever a client missed.
A push is only a hint.
"""

from collections import Counter
from types import SimpleNamespace

import pytest

from chat.models import Message
from chat.tests.factories import WidgetSiteFactory
from chat.widget.sessions import visitor_token_for_new_visitor
from desk.embedded_redis import EmbeddedRedis
from desk.tests.ws_clients import (
    agent_says,
    agent_socket,
    bodies,
    customer_says,
    hears,
    session_cookie,
    widget_socket,
)
from routing.tests.factories import AgentProfileFactory

PROBE_SECONDS = 20  # how long the channel layer may take to subscribe again after Redis is back
# What channels_redis logs when its pub/sub reader has lost Redis and failed to reconnect.
LOST_REDIS = "Unexpected exception in receive task"


@pytest.fixture
def people():
    """An agent (no team, so it sees conversations of no team) and a new visitor of a site."""
    agent = AgentProfileFactory(display_name="Carol 张")
    return SimpleNamespace(
        cookie=session_cookie(agent.user),
        token=visitor_token_for_new_visitor(site=WidgetSiteFactory(key="resilience")),
    )


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, which it may stop and start again on the same port."""
    redis = EmbeddedRedis(tmp_path / "redis").start()
    yield redis
    redis.stop()


def stored(conversation_id):
    rows = Message.objects.filter(conversation_id=conversation_id).order_by("seq")
    return [(m.seq, m.sender_type, m.client_msg_id, m.body) for m in rows]


def seen_by(sockets, conversation_id):
    """What a client that had these sockets one after another shows: each seq once."""
    seen = {}
    for socket in sockets:
        for seq, message in socket.messages_seen(conversation_id).items():
            seen.setdefault(seq, message)
    return bodies(dict(sorted(seen.items())))


class Timeline:
    """The client-side bookkeeping: messages by seq, and `upto`, the seq up to which the client
    has every message it can ever see (a `messages` frame moves it to `last_seq`)."""

    def __init__(self):
        self.shown = {}
        self.upto = 0

    def apply(self, message):
        self.shown.setdefault(message["seq"], message)
        while self.upto + 1 in self.shown:
            self.upto += 1

    def answered(self, frame):
        for message in frame["messages"]:
            self.apply(message)
        self.upto = max(self.upto, frame["last_seq"])

    def has_gap(self):
        return max(self.shown, default=0) > self.upto


# ---- a server restart ---------------------------------------------------------------------


def test_a_server_restart_loses_nothing_and_a_resend_is_stored_once(daphne_processes, people):
    server = daphne_processes()
    agent = agent_socket(server, people.cookie)
    widget = widget_socket(server, people.token)
    conversation_id = customer_says(widget, "c-1", "Before the restart")["conversation_id"]
    assert hears(agent, conversation_id, 1)["message"]["body"] == "Before the restart"
    assert agent_says(agent, conversation_id, "a-1", "Reply before the restart")["seq"] == 2
    assert hears(widget, conversation_id, 2)["message"]["body"] == "Reply before the restart"

    port = server.port
    server.stop()
    agent.closed()
    widget.closed()
    # Down: nothing answers, and the customer's outbox holds the message it wrote meanwhile.
    with pytest.raises(ConnectionRefusedError):
        widget_socket(server, people.token)
    held = {"type": "message.send", "client_msg_id": "c-2", "body": "Written while down"}

    server.start()
    assert server.port == port
    widget_again = widget_socket(server, people.token)
    assert widget_again.hello["conversation"]["id"] == conversation_id
    assert widget_again.hello["conversation"]["last_seq"] == 2
    first = widget_again.request(held)
    second = widget_again.request(held)  # no ack in time, say: the outbox sends it again
    assert first["type"] == second["type"] == "ack"
    assert (first["seq"], first["message_id"]) == (second["seq"], second["message_id"])
    assert first["seq"] == 3

    # The agent comes back after the message was written: it asks from the last seq it has.
    agent_again = agent_socket(server, people.cookie)
    replay = agent_again.sync(conversation_id, after_seq=2)
    assert bodies(replay["messages"]) == [(3, "Written while down")]
    assert (replay["last_seq"], replay["has_more"]) == (3, False)
    assert agent_says(agent_again, conversation_id, "a-2", "Reply after the restart")["seq"] == 4
    assert hears(widget_again, conversation_id, 4)["message"]["body"] == "Reply after the restart"

    agent_again.quiet()
    widget_again.quiet()
    assert agent_again.pushed(conversation_id) == [4]  # it was away when 3 was pushed
    assert widget_again.pushed(conversation_id) == [3, 4]  # the resend pushed nothing again
    history = widget_again.sync(conversation_id, after_seq=0)
    everything = [
        (1, "Before the restart"),
        (2, "Reply before the restart"),
        (3, "Written while down"),
        (4, "Reply after the restart"),
    ]
    assert bodies(history["messages"]) == everything
    assert seen_by([agent, agent_again], conversation_id) == everything
    assert seen_by([widget, widget_again], conversation_id) == everything
    assert stored(conversation_id) == [
        (1, "customer", "c-1", "Before the restart"),
        (2, "agent", "a-1", "Reply before the restart"),
        (3, "customer", "c-2", "Written while down"),
        (4, "agent", "a-2", "Reply after the restart"),
    ]
    agent_again.close()
    widget_again.close()


# ---- a Redis restart ----------------------------------------------------------------------


def stop_redis(redis, server):
    """Stop Redis and wait until the server has noticed (before that, a SUBSCRIBE written to
    the dead connection may still look as if it worked)."""
    offset = server.log_size()
    redis.stop()
    server.wait_for_log(LOST_REDIS, offset=offset)


def wait_for_pushes(agent, widget, conversation_id):
    """Until the server's channel layer hears Redis again: the agent's typing reaches the
    widget (through Redis pub/sub, like every push)."""
    for _ in range(PROBE_SECONDS * 2):
        agent.send({"type": "typing", "conversation_id": conversation_id, "state": "start"})
        if any(frame["type"] == "typing" for frame in widget.quiet(0.5)):
            agent.send({"type": "typing", "conversation_id": conversation_id, "state": "stop"})
            widget.quiet()
            return
    raise AssertionError(f"no push got through within {PROBE_SECONDS} s of Redis coming back")


def test_messages_written_while_redis_is_down_are_stored_acked_and_synced_once(
    daphne_processes, private_redis, people
):
    server = daphne_processes(redis_url=private_redis.url)
    agent = agent_socket(server, people.cookie)
    widget = widget_socket(server, people.token)
    conversation_id = customer_says(widget, "c-1", "Before the outage")["conversation_id"]
    hears(agent, conversation_id, 1)
    agent_says(agent, conversation_id, "a-1", "Reply before the outage")
    hears(widget, conversation_id, 2)

    stop_redis(private_redis, server)
    # Both sides still write: the rows are committed and acked; the pushes have nowhere to go.
    assert customer_says(widget, "c-2", "Written during the outage")["seq"] == 3
    assert agent_says(agent, conversation_id, "a-2", "Answered during the outage")["seq"] == 4
    assert agent.quiet() == []
    assert widget.quiet() == []
    # (New sockets connect meanwhile too: test_new_sockets_work_while_redis_is_down_and_...)

    private_redis.start()
    wait_for_pushes(agent, widget, conversation_id)
    # The sockets that lived through it ask for what they missed, once each.
    during = [(3, "Written during the outage"), (4, "Answered during the outage")]
    assert bodies(agent.sync(conversation_id, after_seq=2)["messages"]) == during
    assert bodies(widget.sync(conversation_id, after_seq=2)["messages"]) == during
    # New sockets connect again, and live pushes reach old and new sockets alike.
    agent_again = agent_socket(server, people.cookie)
    widget_again = widget_socket(server, people.token)
    assert widget_again.hello["conversation"]["last_seq"] == 4
    assert customer_says(widget, "c-3", "After the outage")["seq"] == 5
    for listener in (agent, agent_again):
        assert hears(listener, conversation_id, 5)["message"]["body"] == "After the outage"
    assert agent_says(agent_again, conversation_id, "a-3", "Reply after the outage")["seq"] == 6
    for listener in (widget, widget_again):
        assert hears(listener, conversation_id, 6)["message"]["body"] == "Reply after the outage"

    for socket in (agent, agent_again, widget, widget_again):
        socket.quiet()
    assert agent.pushed(conversation_id) == [1, 2, 5, 6]
    assert agent_again.pushed(conversation_id) == [5, 6]
    assert widget_again.pushed(conversation_id) == [5, 6]
    counts = widget.push_counts(conversation_id)
    assert counts.pop(1, 0) in (0, 1)  # the push of its own first message may race its join
    assert counts == Counter({2: 1, 5: 1, 6: 1})
    everything = [
        (1, "Before the outage"),
        (2, "Reply before the outage"),
        *during,
        (5, "After the outage"),
        (6, "Reply after the outage"),
    ]
    assert seen_by([agent], conversation_id) == everything
    assert seen_by([widget], conversation_id) == everything
    assert [row[2] for row in stored(conversation_id)] == ["c-1", "a-1", "c-2", "a-2", "c-3", "a-3"]
    for socket in (agent, agent_again, widget, widget_again):
        socket.close()


def test_the_first_message_of_a_new_conversation_is_acked_while_redis_is_down(
    daphne_processes, private_redis, people
):
    server = daphne_processes(redis_url=private_redis.url)
    widget = widget_socket(server, people.token)
    assert widget.hello["conversation"] is None
    stop_redis(private_redis, server)
    ack = customer_says(widget, "c-1", "Hello, anyone there?")
    assert ack["seq"] == 1
    assert stored(ack["conversation_id"]) == [(1, "customer", "c-1", "Hello, anyone there?")]


def wait_for_agent_pushes(agent):
    """Until pushes reach the agent socket again through a group it joined before the outage
    (`agents`): its own presence changes (no message rows, no routing) come back to it."""
    for attempt in range(PROBE_SECONDS * 2):
        presence = ("away", "busy")[attempt % 2]
        assert agent.request({"type": "presence.set", "presence": presence})["type"] == "ack"
        if any(frame["type"] == "agent.presence" for frame in agent.quiet(0.5)):
            return
    raise AssertionError(f"no push got through within {PROBE_SECONDS} s of Redis coming back")


def test_a_conversation_started_while_redis_is_down_is_heard_live_once_redis_is_back(
    daphne_processes, private_redis, people
):
    server = daphne_processes(redis_url=private_redis.url)
    agent = agent_socket(server, people.cookie)
    widget = widget_socket(server, people.token)
    stop_redis(private_redis, server)
    conversation_id = customer_says(widget, "c-1", "Hello, anyone there?")["conversation_id"]

    private_redis.start()
    wait_for_agent_pushes(agent)
    # The socket that started the conversation stayed open (it got its ack): it must hear the
    # reply live, or it has no reason to sync and the customer sees nothing until a reload.
    agent_says(agent, conversation_id, "a-1", "Yes, Carol here.")
    assert hears(agent, conversation_id, 2)["message"]["body"] == "Yes, Carol here."  # pushed
    assert hears(widget, conversation_id, 2)["message"]["body"] == "Yes, Carol here."
    # The widget's join was retried in the background; once it held, the widget was told to catch
    # up on whatever was pushed while it could not hear (docs/protocol.md, `resync`).
    widget.quiet()
    assert [frame["type"] for frame in widget.frames].count("resync") == 1
    assert [frame["type"] for frame in agent.frames].count("resync") == 0  # it never lost a group


def test_new_sockets_work_while_redis_is_down_and_catch_up_once_it_is_back(
    daphne_processes, private_redis, people
):
    server = daphne_processes(redis_url=private_redis.url)
    old_agent = agent_socket(server, people.cookie)
    stop_redis(private_redis, server)
    # Brand-new sockets connect although they cannot subscribe to anything yet (degraded).
    widget = widget_socket(server, people.token)
    agent = agent_socket(server, people.cookie)
    assert widget.hello["conversation"] is None
    assert agent.hello["agent"]["display_name"] == "Carol 张"
    # Sends are stored and acked; history comes from the database.
    ack = customer_says(widget, "c-1", "Written while Redis is down")
    conversation_id = ack["conversation_id"]
    assert ack["seq"] == 1
    agent.send({"type": "conversation.open", "conversation_id": conversation_id})
    agent.send({"type": "typing", "conversation_id": conversation_id, "state": "start"})
    assert agent_says(agent, conversation_id, "a-1", "Answered while Redis is down")["seq"] == 2
    assert agent.request({"type": "ping"})["type"] == "pong"  # viewers and typing did not kill it
    during = [(1, "Written while Redis is down"), (2, "Answered while Redis is down")]
    assert bodies(agent.sync(conversation_id, after_seq=0)["messages"]) == during
    assert bodies(widget.sync(conversation_id, after_seq=0)["messages"]) == during
    assert [row[2] for row in stored(conversation_id)] == ["c-1", "a-1"]

    private_redis.start()
    # Once their groups hold, both are told to catch up, once; then pushes reach them live.
    for socket in (widget, agent):
        socket.next(lambda frame: frame["type"] == "resync", timeout=PROBE_SECONDS)
    assert customer_says(widget, "c-2", "Redis is back")["seq"] == 3
    for listener in (agent, old_agent):
        assert hears(listener, conversation_id, 3)["message"]["body"] == "Redis is back"
    assert agent_says(agent, conversation_id, "a-2", "So I hear")["seq"] == 4
    assert hears(widget, conversation_id, 4)["message"]["body"] == "So I hear"
    widget.quiet()
    agent.quiet()
    assert [frame["type"] for frame in widget.frames].count("resync") == 1
    assert [frame["type"] for frame in agent.frames].count("resync") == 1
    assert widget.pushed(conversation_id) == [3, 4]
    assert agent.pushed(conversation_id) == [3, 4]
    for socket in (old_agent, agent, widget):
        socket.close()


# ---- dropped pushes -----------------------------------------------------------------------


def test_sync_replays_exactly_the_pushes_a_client_dropped(daphne_processes, people):
    server = daphne_processes()
    agent = agent_socket(server, people.cookie)
    widget = widget_socket(server, people.token)
    widget_view = Timeline()
    for number in range(1, 5):
        widget_view.apply(customer_says(widget, f"c-{number}", f"question {number}")["message"])
    conversation_id = widget_view.shown[1]["conversation_id"]
    assert widget_view.upto == 4

    # The agent's client loses the pushes of 2 and 3 (as a full channel or a blip would).
    agent_view = Timeline()
    for seq in range(1, 5):
        frame = hears(agent, conversation_id, seq)
        if seq not in (2, 3):
            agent_view.apply(frame["message"])
    assert (agent_view.upto, agent_view.has_gap()) == (1, True)  # 4 came after 1: a gap
    replay = agent.sync(conversation_id, after_seq=agent_view.upto)
    assert bodies(replay["messages"]) == [(2, "question 2"), (3, "question 3"), (4, "question 4")]
    assert (replay["last_seq"], replay["has_more"]) == (4, False)
    agent_view.answered(replay)
    assert (agent_view.upto, agent_view.has_gap()) == (4, False)

    # The agent replies, writes an internal note, replies again; the widget drops reply 5.
    agent_says(agent, conversation_id, "a-1", "answer 5")
    agent_says(agent, conversation_id, "n-1", "note 6: VIP", is_internal=True)
    agent_says(agent, conversation_id, "a-2", "answer 7")
    hears(widget, conversation_id, 5)  # heard, and dropped on purpose
    widget_view.apply(hears(widget, conversation_id, 7)["message"])
    assert (widget_view.upto, widget_view.has_gap()) == (4, True)
    replay = widget.sync(conversation_id, after_seq=widget_view.upto)
    # The note is never sent to the customer; `last_seq` says the gap at 6 will never fill.
    assert bodies(replay["messages"]) == [(5, "answer 5"), (7, "answer 7")]
    assert (replay["last_seq"], replay["has_more"]) == (7, False)
    widget_view.answered(replay)
    assert (widget_view.upto, widget_view.has_gap()) == (7, False)
    assert widget.sync(conversation_id, after_seq=7)["messages"] == []

    widget.quiet()
    assert [seq for seq in widget.pushed(conversation_id) if seq > 4] == [5, 7]
    assert bodies(widget_view.shown) == [
        *[(n, f"question {n}") for n in range(1, 5)],
        (5, "answer 5"),
        (7, "answer 7"),
    ]
    assert bodies(agent.sync(conversation_id, after_seq=4)["messages"]) == [
        (5, "answer 5"),
        (6, "note 6: VIP"),
        (7, "answer 7"),
    ]
    assert len(stored(conversation_id)) == 7
    agent.close()
    widget.close()
