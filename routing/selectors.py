"""Reads of teams and agents."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

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


def agent_for_user_id(user_id: int) -> AgentProfile | None:
    """An active agent by user id (for assignment), or None."""
    return (
        AgentProfile.objects.select_related("user")
        .filter(user_id=user_id, user__is_active=True)
        .first()
    )


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
