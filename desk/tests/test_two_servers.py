"""Two daphne processes, one database, one Redis: a customer on server A and an agent on server B
talk live, each message heard exactly once (the channel groups are shared through Redis).

The control test runs the same conversation on two servers that do *not* share a prefix: the
live pushes never cross, and only `sync` (the database) brings the messages over.
"""

from collections import Counter

import pytest

from chat.models import Message
from chat.tests.factories import WidgetSiteFactory
from chat.widget.sessions import visitor_token_for_new_visitor
from desk.tests.live_server import new_redis_prefix
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

QUESTION = "Is the blue kettle in stock? 蓝色水壶有货吗？"
ANSWER = "Yes, two left. 还有两个。"


@pytest.fixture
def customer_token():
    return visitor_token_for_new_visitor(site=WidgetSiteFactory(key="kettles"))


@pytest.fixture
def agent_cookie():
    return session_cookie(AgentProfileFactory(display_name="Carol 张").user)


def test_customer_on_server_a_and_agent_on_server_b_hear_each_other_once(
    daphne_processes, customer_token, agent_cookie
):
    prefix = new_redis_prefix()
    server_a = daphne_processes(redis_prefix=prefix)
    server_b = daphne_processes(redis_prefix=prefix)
    assert server_a.port != server_b.port
    assert server_a.process.pid != server_b.process.pid

    agent = agent_socket(server_b, agent_cookie)
    widget = widget_socket(server_a, customer_token)
    assert widget.hello["conversation"] is None

    # The customer writes on A: the agent on B hears it live, with its seq.
    ack = customer_says(widget, "kettle-1", QUESTION)
    conversation_id = ack["conversation_id"]
    assert ack["seq"] == 1
    pushed = hears(agent, conversation_id, 1)
    assert pushed["message"]["body"] == QUESTION
    assert pushed["message"]["id"] == ack["message_id"]
    assert pushed["message"]["sender_type"] == "customer"
    assert pushed["conversation"]["last_seq"] == 1

    # The agent replies on B: the customer on A hears it live.
    reply = agent_says(agent, conversation_id, "carol-1", ANSWER)
    assert reply["seq"] == 2
    heard = hears(widget, conversation_id, 2)
    assert heard["message"]["body"] == ANSWER
    assert heard["message"]["sender"] == {"name": "Carol 张", "avatar_url": ""}
    assert "is_internal" not in heard["message"]

    # Each push arrived exactly once (the agent also hears its own reply through its inbox).
    agent.quiet()
    widget.quiet()
    assert agent.push_counts(conversation_id) == Counter({1: 1, 2: 1})
    counts = widget.push_counts(conversation_id)
    assert counts.pop(1, 0) in (0, 1)  # the push of its own first message may race its join
    assert counts == Counter({2: 1})
    expected = [(1, QUESTION), (2, ANSWER)]
    assert bodies(agent.messages_seen(conversation_id)) == expected
    assert bodies(widget.messages_seen(conversation_id)) == expected
    stored = Message.objects.filter(conversation_id=conversation_id).order_by("seq")
    assert [(m.seq, m.client_msg_id, m.body) for m in stored] == [
        (1, "kettle-1", QUESTION),
        (2, "carol-1", ANSWER),
    ]
    agent.close()
    widget.close()


def test_servers_with_separate_prefixes_hear_nothing_live_but_sync_from_the_database(
    daphne_processes, customer_token, agent_cookie
):
    server_a = daphne_processes()
    server_b = daphne_processes()
    assert server_a.redis_prefix != server_b.redis_prefix

    agent = agent_socket(server_b, agent_cookie)
    widget = widget_socket(server_a, customer_token)
    conversation_id = customer_says(widget, "kettle-1", QUESTION)["conversation_id"]
    assert agent.quiet(1.5) == []  # the push went to A's groups only

    answer = agent.sync(conversation_id, after_seq=0)
    assert bodies(answer["messages"]) == [(1, QUESTION)]
    assert answer["last_seq"] == 1
    assert answer["has_more"] is False
    agent.close()
    widget.close()
