"""The supervisors' Live view (issue 12): the waiting queue and every agent's presence and load,
read in a fixed number of queries whatever the number of rows.

The queue is the one of chat/assignment/selectors.py (`queued_conversations`: open, nobody
assigned, a team that assigns automatically or none), in its order; each row's place in its
team's queue is a window function over that same order. A conversation has waited since routing
first found nobody with room (`queued_at`), else since it started.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from chat.assignment.selectors import QUEUE_ORDER, queued_conversations
from chat.models import Conversation, ConversationStatus
from desk.kernel import access
from routing.models import AgentProfile, Presence, Team

QUEUE_MAX = 500  # waiting rows one answer lists (`waiting_more` says how many it left out)
AGENTS_MAX = 500
NO_TEAM = "none"  # the `team` filter's value for conversations of no team
PRESENCE_ORDER = (Presence.ONLINE, Presence.BUSY, Presence.AWAY, Presence.OFFLINE)


@dataclass(frozen=True)
class TeamSummary:
    team_id: int | None  # None: conversations of no team (any online agent may take them)
    name: str
    waiting: int
    longest_wait_seconds: int
    agents_online: int
    free_slots: int


@dataclass(frozen=True)
class LiveRouting:
    waiting: list[Conversation]  # annotated: position, waiting_since
    waiting_total: int
    teams: list[TeamSummary]
    agents: list[AgentProfile]  # annotated: open_conversations; teams prefetched
    as_of: datetime

    @property
    def waiting_more(self) -> int:
        return max(0, self.waiting_total - len(self.waiting))


def can_see_live(user: AbstractBaseUser) -> bool:
    return access.is_supervisor(user)


def live_routing(*, team: int | str | None = None, now: datetime | None = None) -> LiveRouting:
    """The queue (at most QUEUE_MAX rows, queue order; `team` an id or NO_TEAM narrows it and
    the team summaries), a summary per active team and for no team, and every active agent
    (online first, at most AGENTS_MAX). Six queries (five with a team filter)."""
    now = now or timezone.now()
    queue = queued_conversations()
    if team == NO_TEAM:
        queue = queue.filter(team__isnull=True)
    elif team is not None:
        queue = queue.filter(team_id=team)
    since = Coalesce("queued_at", "created_at")
    waiting = list(
        queue.select_related("customer", "team")
        .annotate(
            waiting_since=since,
            position=Window(RowNumber(), partition_by=[F("team_id")], order_by=list(QUEUE_ORDER)),
        )
        .order_by(*QUEUE_ORDER)[:QUEUE_MAX]
    )
    per_team = {
        row["team_id"]: row
        for row in queue.order_by()
        .values("team_id")
        .annotate(waiting=Count("pk"), oldest=Min(since))
    }
    summaries = _team_summaries(per_team, team=team, now=now)
    return LiveRouting(
        waiting=waiting,
        waiting_total=sum(row["waiting"] for row in per_team.values()),
        teams=summaries,
        agents=_agents(),
        as_of=now,
    )


def _team_summaries(per_team: dict, *, team: int | str | None, now: datetime) -> list[TeamSummary]:
    def summary(team_id: int | None, name: str, online: int, free: int | None) -> TeamSummary:
        row = per_team.get(team_id) or {"waiting": 0, "oldest": None}
        oldest = row["oldest"]
        return TeamSummary(
            team_id=team_id,
            name=name,
            waiting=row["waiting"],
            longest_wait_seconds=max(0, int((now - oldest).total_seconds())) if oldest else 0,
            agents_online=online,
            free_slots=free or 0,
        )

    teams = Team.objects.filter(is_active=True)
    if team not in (None, NO_TEAM):
        teams = teams.filter(pk=team)
    rows = []
    if team != NO_TEAM:
        online_here = Q(agents__presence=Presence.ONLINE, agents__user__is_active=True)
        room = Q(agents__active_chats__lt=F("agents__max_concurrent_chats"))
        annotated = teams.order_by("name", "pk").annotate(
            online=Count("agents", filter=online_here, distinct=True),
            free=Sum(
                F("agents__max_concurrent_chats") - F("agents__active_chats"),
                filter=online_here & room,
                output_field=IntegerField(),
            ),
        )
        rows = [summary(t.pk, t.name, t.online, t.free) for t in annotated]
    if team in (None, NO_TEAM):
        # No team: any online agent may take it (routing.capacity.eligible_agents).
        everyone = AgentProfile.objects.filter(
            presence=Presence.ONLINE, user__is_active=True
        ).aggregate(
            online=Count("pk"),
            free=Sum(
                F("max_concurrent_chats") - F("active_chats"),
                filter=Q(active_chats__lt=F("max_concurrent_chats")),
                output_field=IntegerField(),
            ),
        )
        rows.append(summary(None, "", everyone["online"], everyone["free"]))
    return rows


def _agents() -> list[AgentProfile]:
    """Every active agent with their teams and open conversations, online first."""
    open_count = (
        Conversation.objects.filter(assignee_id=OuterRef("user_id"))
        .exclude(status=ConversationStatus.CLOSED)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    presence_rank = Case(
        *[When(presence=value, then=Value(rank)) for rank, value in enumerate(PRESENCE_ORDER)],
        default=Value(len(PRESENCE_ORDER)),
        output_field=IntegerField(),
    )
    return list(
        AgentProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("teams")
        .annotate(
            open_conversations=Coalesce(Subquery(open_count), 0),
            presence_rank=presence_rank,
        )
        .order_by("presence_rank", "display_name", "user_id")[:AGENTS_MAX]
    )
