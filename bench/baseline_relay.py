"""The baseline for bench/ws_load.py: the least a chat relay must do, with nothing else.

A plain `websockets` server. A customer socket (`/c?conv=N`) sends JSON `{"id", "body", "n"}`; an
agent socket (`/a`) listens and may reply with `{"id", "conversation", "body"}`. Either way the
server inserts the row with psycopg (autocommit), acks the sender, and publishes it on a Redis
pub/sub channel; one subscriber per process relays every published message to each of its agent
sockets and to the conversation's customer socket (as Unidesk does: every agent of the team, and
the customer's own widget). `{"type": "ping"}` gets a pong. No auth, no dedupe, no sequence
numbers: a floor to compare Unidesk against. Several processes may run behind one proxy (the
bench's `--procs 2`): they share the Redis channel, like Unidesk's daphne processes.

    python bench/baseline_relay.py --port 8901 --database-url postgres://… --redis-url redis://…
"""

import argparse
import asyncio
import json

import psycopg
import redis.asyncio as aioredis
import websockets

CHANNEL = "baseline:messages"
SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_message (
    id bigserial PRIMARY KEY,
    conversation bigint NOT NULL,
    sender text NOT NULL DEFAULT 'customer',
    client_id text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


class Relay:
    def __init__(self, database_url: str, redis_url: str, pool_size: int):
        self.database_url = database_url
        self.redis_url = redis_url
        self.pool_size = pool_size
        self.agents: set = set()
        self.customers: dict[int, object] = {}  # conversation -> its customer's socket here
        self.pool: asyncio.Queue = asyncio.Queue()

    async def start(self) -> None:
        for _ in range(self.pool_size):
            conn = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
            await self.pool.put(conn)
        conn = await self.pool.get()
        await conn.execute(SCHEMA)
        await self.pool.put(conn)
        self.redis = aioredis.from_url(self.redis_url)
        self.fan_out_task = asyncio.create_task(self.fan_out())

    async def fan_out(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        async for item in pubsub.listen():
            if item["type"] != "message":
                continue
            data = item["data"].decode()
            conversation = json.loads(data)["conversation"]
            targets = list(self.agents)
            customer = self.customers.get(conversation)
            if customer is not None:
                targets.append(customer)
            for socket in targets:
                try:
                    await socket.send(data)
                except websockets.ConnectionClosed:
                    self.agents.discard(socket)

    async def store(self, conversation: int, sender: str, client_id: str, body: str) -> int:
        conn = await self.pool.get()
        try:
            cursor = await conn.execute(
                "INSERT INTO baseline_message (conversation, sender, client_id, body)"
                " VALUES (%s, %s, %s, %s) RETURNING id",
                (conversation, sender, client_id, body),
            )
            (row_id,) = await cursor.fetchone()
        finally:
            await self.pool.put(conn)
        return row_id

    async def relay(self, socket, conversation: int, sender: str, frame: dict) -> None:
        row_id = await self.store(conversation, sender, frame["id"], frame["body"])
        await socket.send(json.dumps({"type": "ack", "id": frame["id"], "row": row_id}))
        event = {"type": "message", "conversation": conversation, "sender": sender, **frame}
        await self.redis.publish(CHANNEL, json.dumps(event))

    async def handle(self, socket) -> None:
        path = socket.request.path
        is_agent = path.startswith("/a")
        conversation = int(path.split("conv=")[1]) if "conv=" in path else 0
        if is_agent:
            self.agents.add(socket)
        else:
            self.customers[conversation] = socket
        try:
            async for raw in socket:
                frame = json.loads(raw)
                if frame.get("type") == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
                elif is_agent:
                    await self.relay(socket, int(frame["conversation"]), "agent", frame)
                else:
                    await self.relay(socket, conversation, "customer", frame)
        finally:
            if is_agent:
                self.agents.discard(socket)
            elif self.customers.get(conversation) is socket:
                del self.customers[conversation]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args()
    relay = Relay(args.database_url, args.redis_url, args.pool_size)
    await relay.start()
    async with websockets.serve(relay.handle, "127.0.0.1", args.port, max_size=2**20):
        print(f"baseline relay on ws://127.0.0.1:{args.port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
