"""Reads of teams and agents."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from routing.models import AgentProfile


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
