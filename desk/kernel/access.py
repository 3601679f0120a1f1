"""Who may reach which conversations and tickets (house rule 8), in one place.

A supervisor reaches everything. An agent reaches what is assigned to them, what belongs to one of
their teams, and what no team owns yet. Callers get "not found" for everything else.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from desk.kernel.roles import SUPERVISOR_GROUP


def is_supervisor(user: AbstractBaseUser) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=SUPERVISOR_GROUP).exists()


def team_scope(user: AbstractBaseUser) -> Q | None:
    """A filter on models with `assignee` and `team`; None means no restriction."""
    if is_supervisor(user):
        return None
    team_ids = list(user.agent_profile.teams.values_list("id", flat=True))
    return Q(assignee=user) | Q(team__in=team_ids) | Q(team__isnull=True)
