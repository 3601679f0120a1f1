"""Issue 12's correctness proof, on PostgreSQL with real concurrent connections: 100
conversations arrive at once (half of them WeChat chats, which four agents may hold only one of)
while agents go on and off line and close chats, and nobody is ever over their capacity or their
channel's limit, no conversation is assigned twice, every agent's load matches their open
conversations, and nothing is stranded (an agent with room while chats wait, or an offline agent
holding chats)."""

import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from chat import services
from chat.assignment import selectors as queue
from chat.assignment import services as assignment
from chat.models import Channel, Conversation, ConversationStatus, Message, SenderType
from chat.tests.factories import CustomerFactory
from desk.kernel import realtime
from desk.kernel.domain_events import dispatch
from desk.models import OutboxEvent
from routing import capacity
from routing.models import AgentChannelCapacity, AgentProfile, Presence
from routing.services import agent_set_presence
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

ARRIVALS = 100
ARRIVAL_THREADS = 10
MAX_CHATS = 3


def _threads(workers: dict[str, object]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def run(work) -> None:
        try:
            start.wait(timeout=30)
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(work,), name=name) for name, work in workers.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def closed_count() -> int:
    return Conversation.objects.filter(status=ConversationStatus.CLOSED).count()


def _over_capacity() -> list[tuple[int, int]]:
    """(user id, open chats) of every agent holding more than their limit, in one statement."""
    held = (
        Conversation.objects.exclude(status=ConversationStatus.CLOSED)
        .exclude(assignee=None)
        .values("assignee")
        .annotate(n=Count("id"))
    )
    limits = dict(AgentProfile.objects.values_list("user_id", "max_concurrent_chats"))
    over = [(row["assignee"], row["n"]) for row in held if row["n"] > limits[row["assignee"]]]
    wechat = dict(
        AgentChannelCapacity.objects.filter(channel=Channel.WECHAT).values_list(
            "agent__user_id", "max_chats"
        )
    )
    held_wechat = held.filter(channel=Channel.WECHAT, assignee__in=list(wechat))
    return over + [
        (row["assignee"], row["n"]) for row in held_wechat if row["n"] > wechat[row["assignee"]]
    ]


def test_a_hundred_arrivals_while_agents_come_and_go_never_overfill_or_double_assign(monkeypatch):
    monkeypatch.setattr(realtime, "send_many", lambda pushes: None)
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    agents = [
        AgentProfileFactory(
            user__username=f"a{i}",
            presence=Presence.ONLINE,
            max_concurrent_chats=MAX_CHATS,
            teams=[sales if i < 4 else support],
        )
        for i in range(6)
    ]
    for profile in agents[:4]:
        AgentChannelCapacity.objects.create(agent=profile, channel=Channel.WECHAT, max_chats=1)
    customers = [CustomerFactory() for _ in range(ARRIVALS)]
    done = threading.Event()
    seen_over: list = []

    def arrive(batch: int):
        def work():
            for index, customer in enumerate(customers[batch::ARRIVAL_THREADS]):
                conversation = services.conversation_start(
                    customer=customer,
                    channel=Channel.WECHAT if index % 2 else Channel.WEB,
                    team=sales,
                )
                services.message_create(
                    conversation=conversation, sender_type=SenderType.CUSTOMER, body="hi"
                )

        return work

    def flap(profile_ids: list[int]):
        def work():
            rng = random.Random(profile_ids[0])
            for _ in range(6):
                for pk in profile_ids:
                    profile = AgentProfile.objects.get(pk=pk)
                    new = (
                        Presence.OFFLINE if profile.presence == Presence.ONLINE else Presence.ONLINE
                    )
                    agent_set_presence(actor=None, profile=profile, presence=new)
                time.sleep(rng.uniform(0.01, 0.05))

        return work

    def close_some():
        rng = random.Random(7)
        deadline = time.monotonic() + 60
        while (not done.is_set() or closed_count() < 10) and time.monotonic() < deadline:
            mine = list(
                Conversation.objects.exclude(status=ConversationStatus.CLOSED)
                .exclude(assignee=None)
                .values_list("pk", flat=True)[:5]
            )
            for pk in mine[:2]:
                services.conversation_update_fields(
                    actor=None,
                    conversation=Conversation(pk=pk),
                    changes={"status": ConversationStatus.CLOSED},
                )
            time.sleep(rng.uniform(0.02, 0.08))

    def watch():
        while not done.is_set():
            over = _over_capacity()
            if over:
                seen_over.append(over)
            time.sleep(0.005)

    arrivals = {f"arrive{i}": arrive(i) for i in range(ARRIVAL_THREADS)}
    workers = {
        **arrivals,
        "flap-sales": flap([agents[0].pk, agents[1].pk]),
        "flap-support": flap([agents[4].pk]),
        "close": close_some,
        "watch": watch,
    }

    def stop_when_arrived():
        # the closer and the watcher run until the arrivals and flappers are through
        while Conversation.objects.count() < ARRIVALS:
            time.sleep(0.05)
        time.sleep(0.5)
        done.set()

    workers["stopper"] = stop_when_arrived
    errors = _threads(workers)
    assert errors == []

    # Whatever a handler could not finish (a retry) runs now, like the beat sweep would.
    while dispatch.sweep(now=timezone.now() + timedelta(hours=1)):
        pass
    assignment.queue_drain()

    assert seen_over == []
    assert _over_capacity() == []
    assert Conversation.objects.count() == ARRIVALS
    assert not OutboxEvent.objects.filter(done_at=None).exists()
    retried = list(OutboxEvent.objects.filter(attempts__gt=0).values_list("type", "last_error"))
    assert retried == []  # no handler failed, not even once (no deadlock, no lost lock)
    for profile in AgentProfile.objects.all():
        held = (
            Conversation.objects.filter(assignee_id=profile.user_id)
            .exclude(status=ConversationStatus.CLOSED)
            .count()
        )
        assert profile.active_chats == held, profile
        for limit in AgentChannelCapacity.objects.filter(agent=profile):
            on_channel = (
                Conversation.objects.filter(assignee_id=profile.user_id, channel=limit.channel)
                .exclude(status=ConversationStatus.CLOSED)
                .count()
            )
            assert limit.active_chats == on_channel, (profile, limit.channel)
        if profile.presence != Presence.ONLINE:
            assert held == 0, f"{profile} is {profile.presence} and holds {held}"
    # Never assigned twice: each assignment on a conversation's timeline starts from the
    # assignee the one before it left (a lost update would break the chain).
    for conversation_id in Conversation.objects.values_list("pk", flat=True):
        steps = Message.objects.filter(
            conversation_id=conversation_id, payload__event="conversation.assignee"
        ).order_by("seq")
        holder = ""
        for step in steps:
            assert step.payload["old"] == holder, (conversation_id, list(steps.values("payload")))
            holder = step.payload["new"]
    # The race was real: chats were assigned, closed, and taken back from agents who left.
    steps = Message.objects.filter(payload__event="conversation.assignee")
    assert steps.exclude(payload__new="").count() >= 30
    assert steps.filter(payload__new="").exists()
    assert Conversation.objects.filter(status=ConversationStatus.CLOSED).count() >= 10
    # Nothing stranded: chats wait only when no eligible agent has room.
    for channel in (Channel.WEB, Channel.WECHAT):
        waiting = queue.queued_conversations().filter(team=sales, channel=channel).exists()
        assert not (waiting and capacity.agent_claim(team=sales, channel=channel)), channel
