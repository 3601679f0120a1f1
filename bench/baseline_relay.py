"""The baseline for bench/ws_load.py: the least a chat relay must do, with nothing else.

A plain `websockets` server. A customer socket (`/c?conv=N`) sends JSON `{"id", "body", "n"}`; the
server inserts the row with psycopg (autocommit), acks the sender, and publishes it on a Redis
pub/sub channel; one subscriber per process relays every published message to each agent socket
(`/a`). No auth, no dedupe, no sequence numbers: a floor to compare Unidesk against.

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
            for agent in list(self.agents):
                try:
                    await agent.send(data)
                except websockets.ConnectionClosed:
                    self.agents.discard(agent)

    async def handle(self, socket) -> None:
        path = socket.request.path
        if path.startswith("/a"):
            self.agents.add(socket)
            try:
                await socket.wait_closed()
            finally:
                self.agents.discard(socket)
            return
        conversation = int(path.split("conv=")[1]) if "conv=" in path else 0
        async for raw in socket:
            frame = json.loads(raw)
            conn = await self.pool.get()
            try:
                cursor = await conn.execute(
                    "INSERT INTO baseline_message (conversation, client_id, body)"
                    " VALUES (%s, %s, %s) RETURNING id",
                    (conversation, frame["id"], frame["body"]),
                )
                (row_id,) = await cursor.fetchone()
            finally:
                await self.pool.put(conn)
            await socket.send(json.dumps({"type": "ack", "id": frame["id"], "row": row_id}))
            event = {"type": "message", "conversation": conversation, **frame}
            await self.redis.publish(CHANNEL, json.dumps(event))


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
