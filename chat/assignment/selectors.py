"""The waiting queue: which conversations wait for an agent, in what order, and how long.

A conversation waits while it is open, nobody is assigned, and its team assigns automatically
(or it has no team). One on offer to an agent (chat/assignment/offers.py) still waits: its
customer keeps their place, and the drains give it to nobody else meanwhile. The order is
priority (P0 first), then arrival, then id; the partial index
`conversation_queue` holds exactly these rows.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Exists, F, OuterRef, Q, QuerySet

from chat.models import Conversation, ConversationStatus, OfferDecline
from chat.selectors import conversation_get_for_agent
from routing import capacity
from routing.models import Team

QUEUE_ORDER = ("priority", "created_at", "pk")
ESTIMATE_SAMPLE = 50  # closed chats of the team the wait estimate averages


@dataclass(frozen=True)
class QueuePlace:
    position: int  # 1 = next
    wait_seconds: int  # estimated
    agents_online: bool  # an eligible agent is online (else: leave a message)

    def as_json(self) -> dict:
        return {
            "position": self.position,
            "wait_seconds": self.wait_seconds,
            "agents_online": self.agents_online,
        }


def queued_conversations() -> QuerySet[Conversation]:
    """Every waiting conversation, in queue order."""
    return (
        Conversation.objects.filter(assignee__isnull=True)
        .exclude(status=ConversationStatus.CLOSED)
        .filter(Q(team__isnull=True) | Q(team__auto_assign=True))
        .order_by(*QUEUE_ORDER)
    )


@dataclass(frozen=True)
class DrainHead:
    pk: int
    # who may take it: (team, overflowed, required skill, minimum level, channel); a drain that
    # found nobody for one key skips the rest of that key's conversations (the channel counts:
    # agents full on WeChat may still take web chats)
    stuck_key: tuple[int | None, bool, int | None, int, str]
    passed_on: bool  # an agent declined its offer (so they are not eligible for it)

    @property
    def anyone_key(self) -> tuple[int | None, bool, int | None, int, str]:
        """The same team and channel with no skill asked: nobody free there means nobody for
        any skill."""
        team, overflowed, _skill, _level, channel = self.stuck_key
        return (team, overflowed, None, 1, channel)


def drain_heads(*, limit: int) -> list[DrainHead]:
    """The waiting conversations a drain tries, in queue order: not those on offer (they wait
    for one agent's answer and go to nobody else meanwhile)."""
    rows = (
        queued_conversations()
        .filter(offered_to__isnull=True)
        .annotate(passed=Exists(OfferDecline.objects.filter(conversation=OuterRef("pk"))))
        .values_list(
            "pk",
            "team_id",
            "overflowed_at",
            "required_skill_id",
            "required_skill_level",
            "channel",
            "passed",
        )[:limit]
    )
    return [
        DrainHead(
            pk,
            (team_id, overflowed_at is not None, skill_id, level if skill_id else 1, channel),
            passed,
        )
        for pk, team_id, overflowed_at, skill_id, level, channel, passed in rows
    ]


def chat_seconds(team_id: int | None) -> float:
    """How long a chat of the team lasts, from its last closed chats (else the setting)."""
    recent = (
        Conversation.objects.filter(team_id=team_id, status=ConversationStatus.CLOSED)
        .exclude(closed_at=None)
        .order_by("-closed_at")
        .values_list("pk", flat=True)[:ESTIMATE_SAMPLE]
    )
    average = Conversation.objects.filter(pk__in=list(recent)).aggregate(
        took=Avg(F("closed_at") - F("created_at"))
    )["took"]
    if isinstance(average, timedelta) and average.total_seconds() > 0:
        return average.total_seconds()
    return float(settings.QUEUE_DEFAULT_CHAT_SECONDS)


@dataclass(frozen=True)
class TeamQueue:
    """What every place in one team's queue needs, read once."""

    team_id: int | None
    seconds_per_chat: float
    agents: int  # eligible agents online
    online: bool

    def place(self, position: int) -> QueuePlace:
        rounds = math.ceil(position / max(1, self.agents))
        return QueuePlace(position, int(rounds * self.seconds_per_chat), self.online)


def required_skill(conversation: Conversation) -> tuple[int | None, int]:
    """(skill id, minimum level) the conversation needs; (None, 1): any agent."""
    if conversation.required_skill_id is None:
        return None, 1
    return conversation.required_skill_id, conversation.required_skill_level


def team_queue(team_id: int | None, *, skill: tuple[int | None, int] = (None, 1)) -> TeamQueue:
    """The team's queue as seen by conversations that need `skill` (id, minimum level): only the
    agents with it count towards the estimate."""
    team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
    agents = capacity.eligible_agents(team=team, skill_id=skill[0], min_level=skill[1]).count()
    return TeamQueue(team_id, chat_seconds(team_id), agents, agents > 0)


def queue_place(conversation: Conversation) -> QueuePlace | None:
    """Where the conversation stands in its team's queue, or None when it is not waiting."""
    if conversation.assignee_id is not None or conversation.status == ConversationStatus.CLOSED:
        return None
    mine = queued_conversations().filter(pk=conversation.pk, team_id=conversation.team_id)
    if not mine.exists():
        return None
    p, at, pk = conversation.priority, conversation.created_at, conversation.pk
    ahead = (
        queued_conversations()
        .filter(team_id=conversation.team_id)
        .filter(
            Q(priority__lt=p)
            | Q(priority=p, created_at__lt=at)
            | Q(priority=p, created_at=at, pk__lt=pk)
        )
        .count()
    )
    return team_queue(conversation.team_id, skill=required_skill(conversation)).place(ahead + 1)


def team_queue_rows(team_id: int | None, *, limit: int) -> list[Conversation]:
    """The first `limit` waiting conversations of one team, in order (only what their
    customers' groups need)."""
    return list(
        queued_conversations()
        .filter(team_id=team_id)
        .only("pk", "widget_site_id", "customer_id", "required_skill_id", "required_skill_level")[
            :limit
        ]
    )


def queued_team_ids() -> set[int | None]:
    return set(queued_conversations().order_by().values_list("team_id", flat=True).distinct())


def customer_last_agent(conversation: Conversation) -> int | None:
    """The agent who last had a chat with this customer (sticky assignment)."""
    return (
        Conversation.objects.filter(customer_id=conversation.customer_id, assignee__isnull=False)
        .exclude(pk=conversation.pk)
        .order_by("-created_at", "-pk")
        .values_list("assignee_id", flat=True)
        .first()
    )


def conversation_for_offer(user: AbstractBaseUser, pk: int) -> Conversation | None:
    """The conversation an agent answers an offer of: one they reach anyway (house rule 8), one
    on offer to them, or one they have passed on (so a late answer hears `offer_expired`).
    None otherwise: not found and not theirs look the same."""
    mine = Q(offered_to=user) | Q(offer_declines__user=user)
    found = Conversation.objects.filter(mine, pk=pk).values_list("pk", flat=True).first()
    if found is not None:
        return Conversation.objects.get(pk=found)
    return conversation_get_for_agent(user, pk)
