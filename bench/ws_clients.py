"""The load generator of bench/ws_load.py: customers and agents over real WebSockets.

One session connects every agent, then every customer (each waits for its `hello`), and keeps
them connected through one or more steps. In a step each customer sends K messages, one every
`interval` × U(0.5, 1.5) seconds after a random start in [0, interval): open loop, without waiting
for acks, so the offered rate is `customers / interval` whatever the server does. Every agent
hears every conversation (one team); the agent that owns a conversation (conversation id modulo
the number of agents) answers every `reply_every`-th customer message it hears in it. Clients
ping every 25 s, as the workspace and the widget do.

Measured per step: customer→agent latency per delivery (send until each agent has it: the
figure the targets are about), the sender's ack, agent→customer latency of the replies, and
sustained throughput (customer messages delivered to all agents per second, from the step's
first send to its last delivery). A delivery still missing when the step's drain time is up
counts with the time it had waited by then (a lower bound), so a saturated server's percentiles
are not flattered by leaving out what never came.
"""

import asyncio
import json
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import websockets

PING_SECONDS = 25.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Step:
    interval: float
    messages: int  # per customer
    customers: int = 0
    agents: int = 0
    sent: int = 0
    acked: int = 0
    deliveries: int = 0
    censored: int = 0  # deliveries missing at the cutoff, counted with their wait so far
    latencies_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    first_ack_ms: list[float] = field(default_factory=list)  # each customer's first send ever
    replies_sent: int = 0
    replies_acked: int = 0
    reply_ms: list[float] = field(default_factory=list)  # agent send -> customer has it
    loop_lag_ms: list[float] = field(default_factory=list)  # the load generator's own lag
    errors: Counter = field(default_factory=Counter)
    t_start: float = 0.0
    t_first_send: float = 0.0
    t_last_send: float = 0.0
    t_last_delivery: float = 0.0
    t_cutoff: float = 0.0
    cpu: dict = field(default_factory=dict)
    celery_backlog: int = 0
    busy_before: float = 0.0  # the machine's CPU use just before the step, % of one core
    speed_ms: float = 0.0  # servers.speed_probe() just before the step (lower: faster machine)
    agent_frames: Counter = field(default_factory=Counter)  # type -> frames all agents got
    agent_bytes: int = 0

    @property
    def offered(self) -> float:
        return self.customers / self.interval

    @property
    def offered_actual(self) -> float:
        window = self.t_last_send - self.t_first_send
        return self.sent / window if window > 0 else 0.0

    @property
    def sustained(self) -> float:
        window = self.t_last_delivery - self.t_first_send
        if window <= 0 or not self.agents:
            return 0.0
        return (self.deliveries / self.agents) / window

    def p(self, q: float, values: list[float] | None = None) -> float:
        return percentile(self.latencies_ms if values is None else values, q)

    def summary(self) -> dict:
        return {
            "interval": self.interval,
            "messages": self.messages,
            "customers": self.customers,
            "agents": self.agents,
            "offered": round(self.offered, 2),
            "offered_actual": round(self.offered_actual, 2),
            "sustained": round(self.sustained, 2),
            "sent": self.sent,
            "acked": self.acked,
            "deliveries": self.deliveries,
            "expected": self.sent * self.agents,
            "censored": self.censored,
            "p50": self.p(50),
            "p95": self.p(95),
            "p99": self.p(99),
            "mean": statistics.fmean(self.latencies_ms) if self.latencies_ms else None,
            "ack_p50": self.p(50, self.ack_ms),
            "ack_p99": self.p(99, self.ack_ms),
            "first_ack_p50": self.p(50, self.first_ack_ms),
            "replies_sent": self.replies_sent,
            "replies_acked": self.replies_acked,
            "reply_p50": self.p(50, self.reply_ms),
            "reply_p99": self.p(99, self.reply_ms),
            "loop_lag_p99": self.p(99, self.loop_lag_ms),
            "errors": dict(self.errors),
            "cpu": {k: round(v, 1) for k, v in self.cpu.items()},
            "celery_backlog": self.celery_backlog,
            "busy_before": round(self.busy_before),
            "speed_ms": round(self.speed_ms, 1),
            "agent_frames": dict(self.agent_frames),
            "agent_kb_per_message": round(self.agent_bytes / 1024 / max(self.sent, 1), 1),
        }


@dataclass
class Sent:
    step: Step
    at: float
    deliveries: int = 0
    acked: bool = False
    first: bool = False  # the customer's first send of the session


class Protocol:
    """How one server speaks: URLs, frames, and what a received frame means."""

    name = ""

    def customer_url(self, index: int) -> str: ...
    def customer_headers(self, index: int) -> dict: ...
    def customer_auth(self, index: int) -> dict | None: ...
    def agent_url(self) -> str: ...
    def agent_headers(self, index: int) -> dict: ...
    def message_frame(self, client_id: str, n: int) -> dict: ...
    def reply_frame(self, client_id: str, conversation: int) -> dict: ...
    def agent_event(self, frame: dict) -> tuple | None: ...
    def customer_event(self, frame: dict) -> tuple | None: ...

    says_hello = False  # both sockets send a `hello` first


class Baseline(Protocol):
    name = "baseline"

    def __init__(self, port: int):
        self.port = port

    def customer_url(self, index):
        return f"ws://127.0.0.1:{self.port}/c?conv={index}"

    def customer_headers(self, index):
        return {}

    def customer_auth(self, index):
        return None

    def agent_url(self):
        return f"ws://127.0.0.1:{self.port}/a"

    def agent_headers(self, index):
        return {}

    def message_frame(self, client_id, n):
        return {"id": client_id, "body": f"message {n}", "n": n}

    def reply_frame(self, client_id, conversation):
        return {"id": client_id, "conversation": conversation, "body": f"reply {client_id}"}

    def agent_event(self, frame):
        kind = frame.get("type")
        if kind == "message":
            if frame.get("sender") == "customer":
                return ("customer", frame["id"], frame["conversation"], None)
            return ("other", None, frame["conversation"], None)
        if kind == "ack":
            return ("ack", frame["id"])
        return None

    def customer_event(self, frame):
        kind = frame.get("type")
        if kind == "ack":
            return ("ack", frame["id"])
        if kind == "message" and frame.get("sender") == "agent":
            return ("reply", frame["id"])
        return None


class Unidesk(Protocol):
    name = "unidesk"
    says_hello = True

    def __init__(self, port: int, tokens: list[str], sessions: list[str]):
        self.port = port
        self.tokens = tokens
        self.sessions = sessions
        self.origin = {"Origin": f"http://127.0.0.1:{port}"}

    def customer_url(self, index):
        return f"ws://127.0.0.1:{self.port}/ws/widget/"

    def customer_headers(self, index):
        return self.origin

    def customer_auth(self, index):
        return {"type": "auth", "token": self.tokens[index]}

    def agent_url(self):
        return f"ws://127.0.0.1:{self.port}/ws/desk/"

    def agent_headers(self, index):
        return {**self.origin, "Cookie": f"sessionid={self.sessions[index]}"}

    def message_frame(self, client_id, n):
        return {"type": "message.send", "client_msg_id": client_id, "body": f"message {n}"}

    def reply_frame(self, client_id, conversation):
        return {
            "type": "message.send",
            "client_msg_id": client_id,
            "conversation_id": conversation,
            "body": f"reply {client_id}",
        }

    def agent_event(self, frame):
        kind = frame.get("type")
        if kind == "message.new":
            message = frame["message"]
            conversation, seq = frame["conversation_id"], frame["seq"]
            if message["sender_type"] == "customer":
                return ("customer", message["client_msg_id"], conversation, seq)
            return ("other", None, conversation, seq)
        if kind == "ack":
            return ("ack", frame.get("client_msg_id"))
        if kind == "error":
            return ("error", frame.get("code"))
        return None

    def customer_event(self, frame):
        kind = frame.get("type")
        if kind == "ack":
            return ("ack", frame.get("client_msg_id"))
        if kind == "message.new":
            message = frame["message"]
            body = message.get("body", "")
            if message.get("sender_type") == "agent" and body.startswith("reply "):
                return ("reply", body[6:])
            return None
        if kind == "error":
            return ("error", frame.get("code"))
        return None


class Session:
    """Connected customers and agents of one server, driven step by step."""

    def __init__(self, proto: Protocol, customers: int, agents: int, reply_every: int):
        self.proto = proto
        self.n_customers = customers
        self.n_agents = agents
        self.reply_every = reply_every
        self.sent: dict[str, Sent] = {}
        self.replies: dict[str, Sent] = {}
        self.step: Step | None = None
        self.customer_sockets: list = []
        self.agent_sockets: list = []
        self.tasks: list[asyncio.Task] = []
        self.seen: list[dict[int, set[int]]] = []  # per agent: conversation -> seqs
        self.first_done: set[int] = set()
        self.lost_sockets = 0
        self.connect_failures = 0

    # ---- connecting -----------------------------------------------------------------------

    async def _open(self, url: str, headers: dict, auth: dict | None):
        ws = await websockets.connect(
            url, additional_headers=headers, max_size=2**22, open_timeout=30, ping_interval=None
        )
        if auth is not None:
            await ws.send(json.dumps(auth))
        if self.proto.says_hello:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("type") == "hello":
                    break
        return ws

    async def connect(self, parallel: int = 20) -> None:
        gate = asyncio.Semaphore(parallel)

        async def open_agent(index):
            async with gate:
                return await self._open(
                    self.proto.agent_url(), self.proto.agent_headers(index), None
                )

        async def open_customer(index):
            async with gate:
                return await self._open(
                    self.proto.customer_url(index),
                    self.proto.customer_headers(index),
                    self.proto.customer_auth(index),
                )

        agents = await asyncio.gather(
            *(open_agent(i) for i in range(self.n_agents)), return_exceptions=True
        )
        self.agent_sockets = [ws for ws in agents if not isinstance(ws, BaseException)]
        self.connect_failures += len(agents) - len(self.agent_sockets)
        for index, ws in enumerate(self.agent_sockets):
            self.seen.append({})
            self.tasks.append(asyncio.create_task(self._agent_reader(index, ws)))
            self.tasks.append(asyncio.create_task(self._pinger(ws)))
        await self.after_agents()
        customers = await asyncio.gather(
            *(open_customer(i) for i in range(self.n_customers)), return_exceptions=True
        )
        for index, ws in enumerate(customers):
            if isinstance(ws, BaseException):
                self.connect_failures += 1
                continue
            self.customer_sockets.append((index, ws))
            self.tasks.append(asyncio.create_task(self._customer_reader(ws)))
            self.tasks.append(asyncio.create_task(self._pinger(ws)))
        self.tasks.append(asyncio.create_task(self._lag_monitor()))

    async def after_agents(self) -> None:
        """Hook: the caller measures memory between agents and customers."""

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        sockets = [ws for _, ws in self.customer_sockets] + self.agent_sockets
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    # ---- readers ----------------------------------------------------------------------------

    async def _pinger(self, ws) -> None:
        await asyncio.sleep(random.random() * PING_SECONDS)
        while True:
            await ws.send(json.dumps({"type": "ping"}))
            await asyncio.sleep(PING_SECONDS)

    async def _lag_monitor(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            if self.step is not None:
                self.step.loop_lag_ms.append((time.perf_counter() - before - 0.05) * 1000)

    def _error(self, code) -> None:
        if self.step is not None:
            self.step.errors[code or "error"] += 1

    async def _agent_reader(self, index: int, ws) -> None:
        seen = self.seen[index]
        owned: Counter = Counter()
        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                if self.step is not None:
                    self.step.agent_frames[frame.get("type")] += 1
                    self.step.agent_bytes += len(raw)
                event = self.proto.agent_event(frame)
                if event is None:
                    continue
                kind = event[0]
                if kind in ("customer", "other"):
                    _, client_id, conversation, seq = event
                    if seq is not None:
                        numbers = seen.setdefault(conversation, set())
                        if seq in numbers and self.step is not None:
                            self.step.errors["duplicate"] += 1
                        numbers.add(seq)
                    if kind == "other":
                        continue
                    sent = self.sent.get(client_id)
                    if sent is not None:
                        step = sent.step
                        step.latencies_ms.append((now - sent.at) * 1000)
                        step.deliveries += 1
                        step.t_last_delivery = now
                        sent.deliveries += 1
                    if self.reply_every and conversation % self.n_agents == index:
                        owned[conversation] += 1
                        if owned[conversation] % self.reply_every == 0 and self.step is not None:
                            await self._reply(ws, conversation)
                elif kind == "ack":
                    reply = self.replies.get(event[1])
                    if reply is not None and not reply.acked:
                        reply.acked = True
                        reply.step.replies_acked += 1
                elif kind == "error":
                    self._error(event[1])
        except websockets.ConnectionClosed:
            self.lost_sockets += 1

    async def _reply(self, ws, conversation: int) -> None:
        client_id = uuid.uuid4().hex
        self.replies[client_id] = Sent(self.step, time.perf_counter())
        self.step.replies_sent += 1
        await ws.send(json.dumps(self.proto.reply_frame(client_id, conversation)))

    async def _customer_reader(self, ws) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                event = self.proto.customer_event(json.loads(raw))
                if event is None:
                    continue
                kind, value = event
                if kind == "ack":
                    sent = self.sent.get(value)
                    if sent is not None and not sent.acked:
                        sent.acked = True
                        sent.step.acked += 1
                        took = (now - sent.at) * 1000
                        sent.step.ack_ms.append(took)
                        if sent.first:
                            sent.step.first_ack_ms.append(took)
                elif kind == "reply":
                    reply = self.replies.get(value)
                    if reply is not None:
                        reply.step.reply_ms.append((now - reply.at) * 1000)
                elif kind == "error":
                    self._error(value)
        except websockets.ConnectionClosed:
            self.lost_sockets += 1

    # ---- one step -----------------------------------------------------------------------------

    async def _customer_sends(self, index: int, ws, step: Step) -> None:
        await asyncio.sleep(random.random() * step.interval)
        for n in range(step.messages):
            client_id = uuid.uuid4().hex
            now = time.perf_counter()
            sent = Sent(step, now)
            if index not in self.first_done:
                self.first_done.add(index)
                sent.first = True
            self.sent[client_id] = sent
            if not step.t_first_send or now < step.t_first_send:
                step.t_first_send = now
            await ws.send(json.dumps(self.proto.message_frame(client_id, n)))
            step.sent += 1
            step.t_last_send = max(step.t_last_send, time.perf_counter())
            if n < step.messages - 1:
                await asyncio.sleep(step.interval * (0.5 + random.random()))

    async def run_step(self, step: Step, drain: float) -> Step:
        step.customers = len(self.customer_sockets)
        step.agents = len(self.agent_sockets)
        step.t_start = time.perf_counter()
        self.step = step
        await asyncio.gather(
            *(self._customer_sends(index, ws, step) for index, ws in self.customer_sockets),
            return_exceptions=True,
        )
        deadline = time.perf_counter() + drain
        expected = step.sent * step.agents
        while time.perf_counter() < deadline and (
            step.deliveries < expected or step.acked < step.sent
        ):
            await asyncio.sleep(0.1)
        step.t_cutoff = time.perf_counter()
        for sent in self.sent.values():
            if sent.step is not step:
                continue
            waited = (step.t_cutoff - sent.at) * 1000
            missing = step.agents - sent.deliveries
            if missing > 0:
                step.censored += missing
                step.latencies_ms.extend([waited] * missing)
            if not sent.acked:
                step.ack_ms.append(waited)
        return step

    def gaps(self) -> int:
        """Sequence numbers an agent never heard between the first and last it did."""
        return sum(
            (max(numbers) - min(numbers) + 1) - len(numbers)
            for seen in self.seen
            for numbers in seen.values()
        )
