"""One validation of `message.send` for both sockets (chat/frames.py): the widget socket and the
agent socket answer the same mistake with the same `error` frame, code and message alike."""

import pytest
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from chat.tests.test_widget_socket import connect, new_visitor
from desk.tests.test_agent_socket import TIMEOUT, open_agent_socket, session_headers
from routing.tests.factories import TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]

GOOD = {"type": "message.send", "client_msg_id": "ok-1", "body": "hello", "ref": 5}
MISTAKES = [
    {"client_msg_id": ""},
    {"client_msg_id": "x" * 65},
    {"client_msg_id": "has space"},
    {"client_msg_id": 7},
    {"client_msg_id": None},
    {"body": "x" * 5001},
    {"body": 7},
    {"body": ["list"]},
    {"body": ""},
    {"body": " \n "},
    {"attachment_ids": "1"},
    {"attachment_ids": [True]},
    {"attachment_ids": [0]},
    {"attachment_ids": [10**20]},
    {"attachment_ids": list(range(1, 12))},
    {"body": "", "attachment_ids": []},
    # two mistakes: the first in the documented order is answered
    {"client_msg_id": "", "body": 7},
    {"body": 7, "attachment_ids": "1"},
    {"attachment_ids": "1", "body": ""},
]


def answers_of(frames: list[dict], send) -> list[dict]:
    async def scenario():
        socket = await send.open()
        got = []
        for frame in frames:
            await socket.send_json_to({**GOOD, **send.extra, **frame})
            got.append(await socket.receive_json_from(timeout=TIMEOUT))
        await socket.disconnect()
        return got

    return async_to_sync(scenario)()


class Widget:
    def __init__(self):
        self.token = new_visitor(WidgetSiteFactory(key="shop", team=TeamFactory())).token
        self.extra = {}

    async def open(self):
        socket, _ = await connect(self.token)
        return socket


class Agent:
    def __init__(self, client, agent):
        self.headers = session_headers(client, agent.user)
        self.extra = {"conversation_id": ConversationFactory().pk}

    async def open(self):
        socket, _ = await open_agent_socket(self.headers)
        return socket


def test_both_sockets_answer_each_mistake_alike(client, agent):
    widget = answers_of(MISTAKES, Widget())
    workspace = answers_of(MISTAKES, Agent(client, agent))

    assert widget == workspace
    assert [(answer["type"], answer["ref"]) for answer in widget] == [("error", 5)] * len(MISTAKES)
    assert [answer["code"] for answer in widget] == [
        *["invalid_message"] * 10,
        *["invalid_attachment"] * 5,
        "invalid_message",
        "invalid_message",
        "invalid_message",
        "invalid_attachment",
    ]
    assert not Message.objects.exists()


def test_the_agent_socket_adds_its_own_fields_after_the_common_ones(client, agent):
    answers = answers_of(
        [
            {"is_internal": "yes"},
            {"conversation_id": "1"},
            {"body": "", "is_internal": "yes"},  # the common check comes first
            {"is_internal": "yes", "conversation_id": "1"},
        ],
        Agent(client, agent),
    )

    assert [answer["code"] for answer in answers] == [
        "invalid_message",
        "invalid_frame",
        "invalid_message",
        "invalid_message",
    ]
    assert answers[2]["message"] == "A message needs text or an attachment."
    assert answers[3]["message"] == "`is_internal` must be true or false."
