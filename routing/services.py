"""Every write to teams, skills and agents."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from desk.kernel import push_events, realtime
from desk.kernel.roles import AGENT_GROUP, SUPERVISOR_GROUP
from routing.models import AgentProfile, AgentSkill, Presence, PresenceLog, Skill, Team
from routing.selectors import team_has_agent_online_forget


@transaction.atomic
def team_create(*, name: str, description: str = "") -> Team:
    return Team.objects.create(name=name, description=description)


@transaction.atomic
def agent_create(
    *,
    username: str,
    password: str,
    display_name: str,
    email: str = "",
    teams: list[Team] | None = None,
    skills: dict[Skill, int] | None = None,
    max_concurrent_chats: int = 5,
    supervisor: bool = False,
) -> AgentProfile:
    """A login that can use the workspace; a supervisor can also use the admin."""
    user = get_user_model().objects.create_user(
        username=username, password=password, email=email, is_staff=supervisor
    )
    user.groups.add(Group.objects.get(name=AGENT_GROUP))
    if supervisor:
        user.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    profile = AgentProfile.objects.create(
        user=user, display_name=display_name, max_concurrent_chats=max_concurrent_chats
    )
    profile.teams.set(teams or [])
    for skill, level in (skills or {}).items():
        AgentSkill.objects.create(agent=profile, skill=skill, level=level)
    return profile


def presence_event(profile: AgentProfile) -> dict:
    return push_events.frame(
        push_events.AGENT_PRESENCE,
        op="update",
        agent_id=profile.user_id,
        presence=profile.presence,
        changed_at=profile.presence_changed_at.isoformat() if profile.presence_changed_at else None,
    )


@transaction.atomic
def agent_set_presence(
    *, actor: AbstractBaseUser | None, profile: AgentProfile, presence: str, reason: str = ""
) -> AgentProfile:
    """Change an agent's presence, log it, and tell the agent's other tabs and colleagues."""
    if presence not in Presence.values:
        raise ValueError(f"unknown presence {presence!r}")
    profile = AgentProfile.objects.select_for_update().get(pk=profile.pk)
    now = timezone.now()
    old = profile.presence
    profile.last_seen_at = now
    if old == presence:
        profile.save(update_fields=["last_seen_at"])
        return profile
    profile.presence = presence
    profile.presence_changed_at = now
    profile.save(update_fields=["presence", "presence_changed_at", "last_seen_at"])
    PresenceLog.objects.create(
        agent=profile, actor=actor, old_value=old, new_value=presence, reason=reason
    )
    # Every tab of every agent, this agent's own tabs included, is in the agents group.
    realtime.publish([realtime.agents_group()], presence_event(profile))
    team_has_agent_online_forget()
    return profile


def agent_touch(*, profile_id: int) -> None:
    """Record that the agent's workspace is alive (heartbeat); no audit row, no event."""
    AgentProfile.objects.filter(pk=profile_id).update(last_seen_at=timezone.now())


def presence_sweep(*, stale_after: timedelta) -> int:
    """Set agents offline whose workspace has gone silent; returns how many changed."""
    cutoff = timezone.now() - stale_after
    stale = AgentProfile.objects.exclude(presence=Presence.OFFLINE).filter(
        Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True)
    )
    changed = 0
    for profile in stale:
        agent_set_presence(
            actor=None, profile=profile, presence=Presence.OFFLINE, reason="heartbeat timeout"
        )
        changed += 1
    return changed
