"""Customer-to-agent latency over real WebSockets: Unidesk against a minimal baseline relay.

N widget clients each send K messages; M agent clients listen. Every message is persisted (Unidesk:
the full path — token check, dedupe, seq, PostgreSQL, Redis channel layer; baseline: an INSERT and
a Redis PUBLISH). It prints latency percentiles per delivery (send → each agent receives),
throughput, errors, and sequence gaps/duplicates, then the ratio of the two.

    .venv/bin/python bench/ws_load.py                # defaults: 200 customers, 20 agents
    .venv/bin/python bench/ws_load.py --customers 50 --agents 5 --messages 5

Needs PostgreSQL and Redis (DATABASE_URL/REDIS_URL style options below); it uses its own database
`unidesk_bench` and Redis db 5, and starts and stops both servers itself. Bounded: every client
stops after its K messages, and the run stops after --timeout seconds at most.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Result:
    name: str
    sent: int = 0
    acked: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    first_ack_ms: list[float] = field(default_factory=list)  # the first send of each customer
    gaps: int = 0
    duplicates: int = 0
    expected_deliveries: int = 0
    elapsed_s: float = 0.0

    def percentile(self, p: float, values: list[float] | None = None) -> float:
        values = self.latencies_ms if values is None else values
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def row(self) -> str:
        missing = self.expected_deliveries - len(self.latencies_ms)
        rate = self.acked / self.elapsed_s if self.elapsed_s else 0
        mean = statistics.fmean(self.latencies_ms or [0])
        return (
            f"{self.name:<9} sent={self.sent:<6} acked={self.acked:<6} "
            f"delivered={len(self.latencies_ms)}/{self.expected_deliveries} (missing {missing}) "
            f"p50={self.percentile(50):7.1f}ms p95={self.percentile(95):7.1f}ms "
            f"p99={self.percentile(99):7.1f}ms mean={mean:7.1f}ms throughput={rate:7.1f} msg/s "
            f"errors={self.errors} gaps={self.gaps} dups={self.duplicates}\n"
            f"{'':<9} ack (send -> sender's ack): p50={self.percentile(50, self.ack_ms):7.1f}ms "
            f"p95={self.percentile(95, self.ack_ms):7.1f}ms "
            f"p99={self.percentile(99, self.ack_ms):7.1f}ms; of first sends: "
            f"p50={self.percentile(50, self.first_ack_ms):7.1f}ms "
            f"p99={self.percentile(99, self.first_ack_ms):7.1f}ms"
        )


def wait_port(port: int, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


async def customer_loop(
    url, headers, messages, interval, frame_for, sent_at, result, ready, first=None
):
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        if first is not None:  # the widget socket's `auth` frame
            await ws.send(json.dumps(first))
        pending: set[str] = set()
        first_id = uuid.uuid4().hex

        async def read_acks():
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "ack":
                    client_id = frame.get("client_msg_id") or frame.get("id")
                    if client_id in pending:
                        pending.discard(client_id)
                        result.acked += 1
                        took = (time.perf_counter() - sent_at[client_id]) * 1000
                        result.ack_ms.append(took)
                        if client_id == first_id:
                            result.first_ack_ms.append(took)
                elif frame.get("type") == "error":
                    result.errors += 1

        reader = asyncio.create_task(read_acks())
        await ready.wait()
        await asyncio.sleep(random.random() * interval)
        for n in range(messages):
            client_id = first_id if n == 0 else uuid.uuid4().hex
            sent_at[client_id] = time.perf_counter()
            pending.add(client_id)
            await ws.send(json.dumps(frame_for(client_id, n)))
            result.sent += 1
            if n < messages - 1:
                await asyncio.sleep(interval * (0.5 + random.random()))
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline and not reader.done():
            await asyncio.sleep(0.1)
        reader.cancel()


async def agent_loop(url, headers, parse, sent_at, result, stop, connected):
    seen: dict[int, set[int]] = {}
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        connected()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.perf_counter()
            parsed = parse(json.loads(raw))
            if parsed is None:
                continue
            client_id, conversation, seq = parsed
            if client_id in sent_at:
                result.latencies_ms.append((now - sent_at[client_id]) * 1000)
            if seq is not None:
                numbers = seen.setdefault(conversation, set())
                if seq in numbers:
                    result.duplicates += 1
                numbers.add(seq)
    for numbers in seen.values():
        result.gaps += (max(numbers) - min(numbers) + 1) - len(numbers)


async def drive(name, customers, agents, args, frame_for, parse) -> Result:
    """customers: [(url, headers[, first frame])], agents: [(url, headers)]."""
    result = Result(name, expected_deliveries=len(customers) * args.messages * len(agents))
    sent_at: dict[str, float] = {}
    stop, ready = asyncio.Event(), asyncio.Event()
    count = {"agents": 0}

    def connected():
        count["agents"] += 1
        if count["agents"] == len(agents):
            ready.set()

    listeners = [
        asyncio.create_task(agent_loop(u, h, parse, sent_at, result, stop, connected))
        for u, h in agents
    ]
    # Agents first: the load is customers writing to a staffed desk. (All 220 handshakes at once
    # can take longer than daphne's 5 s WebSocket connect timeout on this 2-core machine.)
    await asyncio.wait_for(ready.wait(), timeout=args.timeout)
    started = time.perf_counter()
    senders = [
        asyncio.create_task(
            customer_loop(
                u, h, args.messages, args.interval, frame_for, sent_at, result, ready, *first
            )
        )
        for u, h, *first in customers
    ]
    done, _ = await asyncio.wait(senders, timeout=args.timeout)
    result.errors += sum(1 for task in done if task.exception())
    # Let the last deliveries arrive, but never wait past the bound.
    deadline = time.monotonic() + 10
    while len(result.latencies_ms) < result.expected_deliveries and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    result.elapsed_s = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*listeners, return_exceptions=True)
    for task in senders:
        task.cancel()
    return result


def run_baseline(args) -> Result:
    from bench import unidesk_fixtures

    unidesk_fixtures.recreate_database(args.database_url)
    port = args.port + 1
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench/baseline_relay.py"), "--port", str(port),
         "--database-url", args.database_url, "--redis-url", args.redis_url],
    )  # fmt: skip
    try:
        wait_port(port)
        customers = [(f"ws://127.0.0.1:{port}/c?conv={i}", {}) for i in range(args.customers)]
        agents = [(f"ws://127.0.0.1:{port}/a", {}) for _ in range(args.agents)]

        def frame_for(client_id, n):
            return {"id": client_id, "body": f"message {n}", "n": n}

        def parse(frame):
            if frame.get("type") != "message":
                return None
            return frame["id"], frame["conversation"], None

        result = asyncio.run(drive("baseline", customers, agents, args, frame_for, parse))
        # The baseline has no seq: count gaps and duplicates from the rows it stored.
        return result
    finally:
        server.terminate()
        server.wait(10)


def run_unidesk(args) -> Result:
    from bench import unidesk_fixtures

    env = unidesk_fixtures.environment(args.database_url, args.redis_url)
    fixtures = unidesk_fixtures.prepare(env, args.customers, args.agents)
    port = args.port
    server = subprocess.Popen(
        [sys.executable, "-m", "desk.server", "-b", "127.0.0.1", "-p", str(port),
         "desk.asgi:application"],
        env=env, cwd=ROOT, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port)
        origin = {"Origin": f"http://127.0.0.1:{port}"}
        customers = [
            (f"ws://127.0.0.1:{port}/ws/widget/", origin, {"type": "auth", "token": token})
            for token in fixtures["tokens"]
        ]
        agents = [
            (f"ws://127.0.0.1:{port}/ws/desk/", {**origin, "Cookie": f"sessionid={cookie}"})
            for cookie in fixtures["sessions"]
        ]

        def frame_for(client_id, n):
            return {"type": "message.send", "client_msg_id": client_id, "body": f"message {n}"}

        def parse(frame):
            if frame.get("type") != "message.new":
                return None
            message = frame["message"]
            return message["client_msg_id"], frame["conversation_id"], frame["seq"]

        return asyncio.run(drive("unidesk", customers, agents, args, frame_for, parse))
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10, help="per customer")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between sends")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unidesk_bench"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    )
    parser.add_argument("--only", choices=["unidesk", "baseline"])
    args = parser.parse_args()
    print(
        f"load: {args.customers} customers x {args.messages} messages, {args.agents} agents, "
        f"~{args.interval}s between sends",
        flush=True,
    )
    results = []
    if args.only in (None, "baseline"):
        results.append(run_baseline(args))
        print(results[-1].row(), flush=True)
    if args.only in (None, "unidesk"):
        results.append(run_unidesk(args))
        print(results[-1].row(), flush=True)
    if len(results) == 2:
        base, ours = results
        print(
            f"ratio unidesk/baseline: p50 x{ours.percentile(50) / base.percentile(50):.2f}  "
            f"p95 x{ours.percentile(95) / base.percentile(95):.2f}  "
            f"p99 x{ours.percentile(99) / base.percentile(99):.2f}"
        )


if __name__ == "__main__":
    main()
