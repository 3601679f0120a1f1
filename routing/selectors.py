"""Reads of teams and agents."""

import time

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from routing.capacity import eligible_agents
from routing.models import AgentProfile, Team


def agent_profile_for_user(user: AbstractBaseUser) -> AgentProfile | None:
    """The workspace profile of a logged-in user, or None when the user is not an agent."""
    if not user.is_authenticated:
        return None
    return (
        AgentProfile.objects.select_related("user")
        .prefetch_related("teams")
        .filter(user=user)
        .first()
    )


def agents_online() -> QuerySet[AgentProfile]:
    return AgentProfile.objects.filter(presence="online").select_related("user")


_online_cache: dict[int | None, tuple[float, bool]] = {}


def team_has_agent_online(*, team_id: int | None) -> bool:
    """Whether an agent who may take the team's chats is online now (routing.capacity
    `eligible_agents`: the team's own, or any online agent when none of them is and the team
    lets others help; anyone for no team). Asked on every widget session and first message, so
    each process keeps the answer `settings.ONLINE_CACHE_SECONDS`."""
    now = time.monotonic()
    cached = _online_cache.get(team_id)
    if cached is not None and now - cached[0] < settings.ONLINE_CACHE_SECONDS:
        return cached[1]
    team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
    answer = eligible_agents(team=team).exists()
    _online_cache[team_id] = (now, answer)
    return answer


def team_has_agent_online_forget() -> None:
    """Ask the database again next time (after a presence change in this process)."""
    _online_cache.clear()


def agent_for_user_id(user_id: int) -> AgentProfile | None:
    """An active agent by user id (for assignment), or None."""
    return (
        AgentProfile.objects.select_related("user")
        .filter(user_id=user_id, user__is_active=True)
        .first()
    )


def agent_display_name(user: AbstractBaseUser | None) -> str:
    """How an agent is named to colleagues and customers: the display name, else the username."""
    if user is None:
        return ""
    profile = getattr(user, "agent_profile", None)
    return profile.display_name if profile else user.get_username()


def agents_directory() -> list[dict]:
    """Every active agent with their teams, for the workspace's transfer menu."""
    profiles = (
        AgentProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("teams")
        .order_by("display_name", "user_id")
    )
    return [
        {
            "id": profile.user_id,
            "name": profile.display_name,
            "username": profile.user.username,
            "presence": profile.presence,
            "teams": [team.pk for team in profile.teams.all()],
        }
        for profile in profiles
    ]


def teams_active() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True).order_by("name")
