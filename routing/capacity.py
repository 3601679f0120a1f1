"""Agents' capacity: who may take one more conversation, and the claim that makes it theirs.

`AgentProfile.active_chats` counts the agent's open conversations. It changes only through the
conditional UPDATEs below, so several server and worker processes can assign at once: a claim
adds one only while the agent is online and `active_chats < max_concurrent_chats` (PostgreSQL
re-checks that WHERE on the newest row version after waiting for a concurrent writer's lock), so
nobody ever goes over their limit, whatever races. Chat's conversation services call these
functions inside the transaction that changes the conversation (the conversation's row lock is
taken first, the agent's second, always in that order).
"""

from collections.abc import Collection

from django.db.models import BooleanField, Exists, F, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone

from routing.models import (
    AgentChannelCapacity,
    AgentProfile,
    AgentSkill,
    AssignmentMode,
    Presence,
    Team,
)


def eligible_agents(
    *,
    team: Team | None,
    skill_id: int | None = None,
    min_level: int = 1,
    also_team: Team | None = None,
) -> QuerySet[AgentProfile]:
    """The online agents who may take a conversation of `team` (ignoring capacity): the team's
    own (and `also_team`'s: an overflowing conversation's fallback team), or — when none of them
    is online and the team lets others help — any online agent. Any online agent for a
    conversation of no team. A required skill (`skill_id`) keeps only those with it at
    `min_level` or above (annotated `skill_level`); whether the team has someone online is asked
    without it, so a team online but short of the skill waits."""
    online = AgentProfile.objects.filter(presence=Presence.ONLINE, user__is_active=True)
    if team is not None:
        if also_team is None:
            own = online.filter(teams=team)
        else:
            members = AgentProfile.teams.through.objects.filter(team_id__in=[team.pk, also_team.pk])
            own = online.filter(pk__in=members.values("agentprofile_id"))
        if not (team.any_agent_when_none_online and not own.exists()):
            online = own
    if skill_id is None:
        return online
    level = AgentSkill.objects.filter(agent=OuterRef("pk"), skill_id=skill_id).values("level")
    return online.annotate(skill_level=Subquery(level[:1])).filter(skill_level__gte=min_level)


def _ordered(
    agents: QuerySet[AgentProfile], mode: str, *, by_level: bool
) -> QuerySet[AgentProfile]:
    """The mode's order; with a required skill, the higher level goes first among agents equal
    on the mode's first key."""
    level = [F("skill_level").desc()] if by_level else []
    if mode == AssignmentMode.ROUND_ROBIN:
        order = [F("last_assigned_at").asc(nulls_first=True), *level, "active_chats", "pk"]
    else:  # least busy; sticky falls back to it
        order = ["active_chats", *level, F("last_assigned_at").asc(nulls_first=True), "pk"]
    return agents.order_by(*order)


CLAIM_TRIES = 5  # candidates tried in order before giving up (each a conditional UPDATE)


def agent_claim(
    *,
    team: Team | None,
    prefer_user_id: int | None = None,
    skill_id: int | None = None,
    min_level: int = 1,
    also_team: Team | None = None,
    exclude_user_ids: Collection[int] = (),
    channel: str | None = None,
) -> AgentProfile | None:
    """Take one conversation slot of the best eligible agent with free capacity (the team's
    assignment mode decides who is best; `prefer_user_id`, the customer's last agent, goes first
    in sticky mode) and return that agent, or None when nobody eligible has room. A required
    skill (`skill_id` at `min_level` or above) narrows who is eligible and breaks ties by level;
    `also_team`'s agents are eligible too (overflow); `exclude_user_ids` never are (they passed
    on an offer). An agent with a limit on the conversation's `channel` must have room there
    too, and that slot is taken with theirs."""
    mode = team.assignment_mode if team is not None else AssignmentMode.LEAST_BUSY
    agents = eligible_agents(
        team=team, skill_id=skill_id, min_level=min_level, also_team=also_team
    ).filter(active_chats__lt=F("max_concurrent_chats"))
    if exclude_user_ids:
        agents = agents.exclude(user_id__in=list(exclude_user_ids))
    if channel is not None:
        limits = AgentChannelCapacity.objects.filter(agent=OuterRef("pk"), channel=channel)
        agents = agents.filter(~Exists(limits.filter(active_chats__gte=F("max_chats"))))
        agents = agents.annotate(channel_limited=Exists(limits))
    else:
        agents = agents.annotate(channel_limited=Value(False, output_field=BooleanField()))
    ordered = _ordered(agents, mode, by_level=skill_id is not None)
    candidates = list(ordered.values_list("pk", "channel_limited")[:CLAIM_TRIES])
    if mode == AssignmentMode.STICKY and prefer_user_id is not None:
        preferred = agents.filter(user_id=prefer_user_id).values_list("pk", "channel_limited")
        first = preferred.first()
        if first is not None:
            candidates = [first, *[row for row in candidates if row[0] != first[0]]]
    for pk, channel_limited in candidates:
        if _claim(pk, channel if channel_limited else None):
            return AgentProfile.objects.select_related("user").get(pk=pk)
    return None


def _claim(profile_pk: int, channel: str | None) -> bool:
    """The channel's slot first (when the agent has a limit there), then the agent's; a failed
    second gives the first back. Channel row before agent row, here and in the load changes
    below, so claims and releases never wait on each other in a circle."""
    if channel is not None and not (
        AgentChannelCapacity.objects.filter(
            agent_id=profile_pk, channel=channel, active_chats__lt=F("max_chats")
        ).update(active_chats=F("active_chats") + 1)
    ):
        return False
    claimed = AgentProfile.objects.filter(
        pk=profile_pk,
        presence=Presence.ONLINE,
        active_chats__lt=F("max_concurrent_chats"),
    ).update(active_chats=F("active_chats") + 1, last_assigned_at=timezone.now())
    if not claimed and channel is not None:
        AgentChannelCapacity.objects.filter(agent_id=profile_pk, channel=channel).update(
            active_chats=F("active_chats") - 1
        )
    return bool(claimed)


def agent_load_add(*, user_id: int, channel: str | None = None) -> None:
    """A person gave the agent a conversation by hand: it counts, even over the limit (the
    agent then gets nothing automatically until below it again)."""
    if channel is not None:
        AgentChannelCapacity.objects.filter(agent__user_id=user_id, channel=channel).update(
            active_chats=F("active_chats") + 1
        )
    AgentProfile.objects.filter(user_id=user_id).update(
        active_chats=F("active_chats") + 1, last_assigned_at=timezone.now()
    )


def agent_load_release(*, user_id: int, channel: str | None = None) -> None:
    """One of the agent's conversations closed or went to someone else: a slot is free (and
    one of the channel's, when the agent has a limit there)."""
    if channel is not None:
        AgentChannelCapacity.objects.filter(
            agent__user_id=user_id, channel=channel, active_chats__gt=0
        ).update(active_chats=F("active_chats") - 1)
    AgentProfile.objects.filter(user_id=user_id, active_chats__gt=0).update(
        active_chats=F("active_chats") - 1
    )


def channel_full(*, user_id: int, channel: str) -> AgentChannelCapacity | None:
    """The agent's limit on this channel when it is reached (a hand transfer is refused)."""
    return AgentChannelCapacity.objects.filter(
        agent__user_id=user_id, channel=channel, active_chats__gte=F("max_chats")
    ).first()


def agents_with_room(*, team: Team | None, skill_id: int | None = None, min_level: int = 1) -> int:
    """How many eligible agents could take a conversation now (the wait estimate's divisor)."""
    eligible = eligible_agents(team=team, skill_id=skill_id, min_level=min_level)
    return eligible.filter(active_chats__lt=F("max_concurrent_chats")).count()


def team_has_eligible_agent(
    *, team: Team | None, skill_id: int | None = None, min_level: int = 1
) -> bool:
    return eligible_agents(team=team, skill_id=skill_id, min_level=min_level).exists()
