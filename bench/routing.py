"""Routing at scale (issue 12): 1,000 waiting conversations, 50 agents, and how fast the queue
moves.

It makes its own PostgreSQL database (`unidesk_routing_bench`, dropped and migrated at the
start), one team of `--agents` online agents (each `--capacity` chats, least busy), and
`--waiting` conversations already in the team's queue (rows in bulk: the queue is what is
measured, not how its rows were born). Then:

1. **Decisions while agents have room.** `queue_drain` gives the queue's heads to the agents
   until everyone is full, as it does when a team comes online; each `conversation_route` call is
   timed (lock the conversation, pick and claim an agent, assign, timeline row, pushes): the
   assignment latency p50 / p99 and decisions per second.
2. **Decisions while nobody has room.** The same call on queued conversations once every agent
   is full (what the queue costs while it waits): per call and per second.
3. **One claim**, the conditional UPDATE that takes an agent's slot (`routing.capacity`), through
   the ORM and as the same SQL run raw on a cursor (taken from the query log), each in a
   rolled-back transaction: the floor a routing decision is compared with.
4. **Freed capacity → customer told.** With a real Celery worker running the domain events, an
   agent closes one of their chats `--rounds` times; each time the bench listens on the queue
   head's customer group (the channel layer, as the widget's socket does) and measures from the
   close's commit to the `conversation.update` frame that names the customer's agent.

    .venv/bin/python bench/routing.py
    .venv/bin/python bench/routing.py --waiting 1000 --agents 50 --capacity 5 --rounds 50
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import unidesk_fixtures  # noqa: E402


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
        f"max {max(values or [0]):.1f} ms (n={len(values)})"
    )


def prepare(args) -> dict[str, str]:
    env = unidesk_fixtures.environment(args.database_url, args.redis_url)
    env["REDIS_PREFIX"] = "unidesk-routing-bench"
    unidesk_fixtures.recreate_database(args.database_url)
    unidesk_fixtures.flush_redis(args.redis_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    return env


def fill(args):
    """The team, its online agents, and the waiting conversations (bulk rows, queued)."""
    import uuid

    from django.utils import timezone

    from chat.models import Channel, Conversation, ConversationStatus, Customer
    from routing import services as routing_services
    from routing.models import Presence

    team = routing_services.team_create(name="Bench")
    agents = []
    for index in range(args.agents):
        profile = routing_services.agent_create(
            username=f"bench-agent-{index}",
            password=uuid.uuid4().hex,
            display_name=f"Bench agent {index}",
            teams=[team],
            max_concurrent_chats=args.capacity,
        )
        agents.append(profile)
    customers = Customer.objects.bulk_create(
        Customer(display_name=f"Customer {n}") for n in range(args.waiting)
    )
    now = timezone.now()
    Conversation.objects.bulk_create(
        Conversation(
            channel=Channel.WEB,
            customer=customer,
            status=ConversationStatus.WAITING,
            team=team,
            queued_at=now,
            last_message_at=now,
        )
        for customer in customers
    )
    # Online last, through the service as the workspace does; no worker runs yet, so the
    # presence events wait (their drains are what phase 1 measures, run here in the bench).
    for profile in agents:
        routing_services.agent_set_presence(
            actor=profile.user, profile=profile, presence=Presence.ONLINE
        )
    return team


def drain_timed(args) -> tuple[list[float], float]:
    """Phase 1: `queue_drain` with every `conversation_route` timed."""
    from chat.assignment import services

    took: list[float] = []  # the calls that assigned (a drain's last call per team finds none)
    original = services.conversation_route

    def timed(**kwargs):
        started = time.perf_counter()
        result = original(**kwargs)
        if result is not None:
            took.append((time.perf_counter() - started) * 1000)
        return result

    services.conversation_route = timed
    started = time.perf_counter()
    while services.queue_drain():
        pass
    wall = time.perf_counter() - started
    services.conversation_route = original
    log(f"phase 1: {len(took)} assigned by drains in {wall:.2f} s")
    return took, wall


def no_room_decisions(args) -> list[float]:
    """Phase 2: routing queued conversations while every agent is full."""
    from chat.assignment import selectors, services

    ids = list(selectors.queued_conversations().values_list("pk", flat=True)[: args.no_room])
    took = []
    for conversation_id in ids:
        started = time.perf_counter()
        result = services.conversation_route(conversation_id=conversation_id)
        took.append((time.perf_counter() - started) * 1000)
        assert result is None, "an agent had room"
    return took


def claim_orm_vs_raw(args, team) -> tuple[float, float, str]:
    """Phase 3: one slot claim through the ORM (`agent_claim`) and its UPDATE run raw."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from routing import capacity
    from routing.models import AgentProfile

    # One agent with room again for the claim to succeed; rolled back each time.
    free = AgentProfile.objects.order_by("pk").first()
    AgentProfile.objects.filter(pk=free.pk).update(active_chats=0)
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        assert capacity.agent_claim(team=team) is not None
        transaction.set_rollback(True)
    sql = next(q["sql"] for q in seen.captured_queries if q["sql"].startswith("UPDATE"))
    orm_ms, raw_ms = [], []
    for _ in range(args.repeat):
        with transaction.atomic():
            started = time.perf_counter()
            capacity.agent_claim(team=team)
            orm_ms.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql)
            raw_ms.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    AgentProfile.objects.filter(pk=free.pk).update(active_chats=args.capacity)
    return statistics.median(orm_ms), statistics.median(raw_ms), sql


def start_worker(env: dict[str, str], run_dir: Path) -> subprocess.Popen:
    run_dir.mkdir(parents=True, exist_ok=True)
    worker_log = run_dir / "routing-worker.log"
    command = [sys.executable, "-m", "celery", "-A", "desk.celery", "worker", "-l", "info",
               "-n", "routing-bench@%h", "--concurrency", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while " ready." not in worker_log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start: see {worker_log}")
        time.sleep(0.2)
    return process


def freed_to_told(args) -> list[float]:
    """Phase 4: close one chat of a full agent; time until the queue's head hears its agent."""
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    from chat import events, services
    from chat.assignment import selectors
    from chat.models import Conversation, ConversationStatus

    def head_and_victim() -> tuple[int, int]:
        head = selectors.queued_conversations().values_list("pk", flat=True).first()
        victim = (
            Conversation.objects.filter(assignee__isnull=False, status=ConversationStatus.OPEN)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        return head, victim

    def close(conversation_id: int) -> float:
        services.conversation_update_fields(
            actor=None,
            conversation=Conversation(pk=conversation_id),
            changes={"status": ConversationStatus.CLOSED},
        )
        return time.perf_counter()  # the service's transaction has committed

    async def one_round() -> float | None:
        layer = get_channel_layer()
        head, victim = await sync_to_async(head_and_victim)()
        if head is None or victim is None:
            return None
        channel = await layer.new_channel()
        await layer.group_add(events.conversation_customer(head), channel)
        committed = await sync_to_async(close)(victim)
        try:
            while True:
                message = await asyncio.wait_for(layer.receive(channel), timeout=args.timeout)
                told = time.perf_counter()
                frame = json.loads(message.get("text") or "{}")
                if frame.get("type") == "conversation.update" and frame.get("assignee_name"):
                    return (told - committed) * 1000
        except TimeoutError:
            log(f"conversation {head}: not told within {args.timeout:.0f} s")
            return None
        finally:
            await layer.group_discard(events.conversation_customer(head), channel)

    async def rounds() -> list[float]:
        took = []
        for _ in range(args.rounds):
            ms = await one_round()
            if ms is not None:
                took.append(ms)
        return took

    return asyncio.run(rounds())


def open_conversations_are_open() -> None:
    """Drains assign WAITING conversations; the close in phase 4 needs them OPEN (an agent
    answering does that); bulk, outside the measured part."""
    from chat.models import Conversation, ConversationStatus

    Conversation.objects.filter(assignee__isnull=False).update(status=ConversationStatus.OPEN)


def check_capacity(args) -> str:
    from django.db.models import Count

    from chat.models import Conversation, ConversationStatus
    from routing.models import AgentProfile

    over = AgentProfile.objects.filter(active_chats__gt=args.capacity).count()
    held = (
        Conversation.objects.exclude(status=ConversationStatus.CLOSED)
        .exclude(assignee=None)
        .values("assignee")
        .annotate(n=Count("pk"))
        .filter(n__gt=args.capacity)
        .count()
    )
    return f"agents over capacity: {over} (by counter), {held} (by open conversations)"


def run(args, env: dict[str, str]) -> None:
    import django

    django.setup()
    from chat.assignment import selectors

    team = fill(args)
    log(f"{args.agents} agents online (capacity {args.capacity}), {args.waiting} waiting")
    route_ms, wall = drain_timed(args)
    assigned = len(route_ms)
    waiting = selectors.queued_conversations().count()
    no_room_ms = no_room_decisions(args)
    orm_ms, raw_ms, sql = claim_orm_vs_raw(args, team)
    open_conversations_are_open()
    unidesk_fixtures.flush_redis(args.redis_url)  # phase 1's queued wake-ups: not phase 4's
    worker = start_worker(env, Path(args.run_dir))
    try:
        told_ms = freed_to_told(args)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    lines = [
        f"agents {args.agents} × capacity {args.capacity}, waiting {args.waiting}; "
        f"after the drains {waiting} still wait",
        f"1. route with room (assignment latency): {figures(route_ms)}; "
        f"{assigned / wall:.0f} assignments/s through queue_drain",
        f"2. route with nobody free: {figures(no_room_ms)}; "
        f"{1000 / max(statistics.mean(no_room_ms or [1]), 1e-9):.0f} decisions/s",
        f"3. one claim (conditional UPDATE): ORM {orm_ms:.2f} ms, same SQL raw {raw_ms:.2f} ms; "
        f"a routing decision with room costs {percentile(route_ms, 0.5) / raw_ms:.0f}× the raw "
        f"claim at p50\n   {sql[:240]}",
        f"4. freed capacity → next customer told (Celery worker, channel layer): "
        f"{figures(told_ms)} of {args.rounds} rounds",
        check_capacity(args),
    ]
    print("\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--no-room", type=int, default=300, help="decisions timed in phase 2")
    parser.add_argument("--repeat", type=int, default=200, help="runs of each claim")
    parser.add_argument("--rounds", type=int, default=50, help="closes timed in phase 4")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per round")
    parser.add_argument("--run-dir", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/unidesk_routing_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()
    env = prepare(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    run(args, env)


if __name__ == "__main__":
    main()
