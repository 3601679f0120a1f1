"""The frame's floor for bench/ws_load.py: the baseline relay's protocol, served the way any code
in Unidesk's fixed frame must serve it, and nothing of Unidesk itself.

daphne, one Channels consumer per socket, Django's database connection on a worker thread (one raw
INSERT, no ORM), and the Redis pub/sub channel layer (`group_send` to the agents' group and to the
conversation's customer group, each socket forwarding what it hears). No auth, no dedupe, no
`seq`, no events: what the baseline relay (bench/baseline_relay.py) does, on daphne and Channels
instead of `websockets` and a Redis subscriber of its own. Unidesk can approach this floor; only a
server outside the frame could approach the baseline.

    python -m daphne -b 127.0.0.1 -p 8931 bench.frame_floor:application
    # FLOOR_DATABASE_URL=postgres://…  FLOOR_REDIS_URL=redis://…
"""

import json
import os
from urllib.parse import parse_qs

import dj_database_url
import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DATABASES={
            "default": dj_database_url.parse(os.environ["FLOOR_DATABASE_URL"], conn_max_age=600)
        },
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [os.environ["FLOOR_REDIS_URL"]], "prefix": "floor"},
            }
        },
        INSTALLED_APPS=["channels"],
        USE_TZ=True,
    )
    django.setup()

from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import connection

from bench.baseline_relay import SCHEMA

AGENTS = "agents"


def _store(conversation: int, sender: str, client_id: str, body: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO baseline_message (conversation, sender, client_id, body)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            [conversation, sender, client_id, body],
        )
        return cursor.fetchone()[0]


store = DatabaseSyncToAsync(_store, thread_sensitive=False)  # a thread pool, as Unidesk's


class Relay(AsyncWebsocketConsumer):
    async def connect(self):
        self.is_agent = self.scope["path"].startswith("/a")
        query = parse_qs(self.scope["query_string"].decode())
        self.conversation = int(query.get("conv", ["0"])[0])
        group = AGENTS if self.is_agent else f"conv.{self.conversation}"
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        frame = json.loads(text_data)
        if frame.get("type") == "ping":
            await self.send(text_data='{"type": "pong"}')
            return
        if self.is_agent:
            conversation, sender = int(frame["conversation"]), "agent"
        else:
            conversation, sender = self.conversation, "customer"
        row = await store(conversation, sender, frame["id"], frame["body"])
        await self.send(text_data=json.dumps({"type": "ack", "id": frame["id"], "row": row}))
        text = json.dumps(
            {"type": "message", "conversation": conversation, "sender": sender, **frame}
        )
        for group in (AGENTS, f"conv.{conversation}"):
            await self.channel_layer.group_send(group, {"type": "relay", "text": text})

    async def relay(self, event):
        await self.send(text_data=event["text"])


def _create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA)
    connection.close()


_create_table()
application = Relay.as_asgi()
