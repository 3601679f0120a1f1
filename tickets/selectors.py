"""Reads of tickets, scoped to what the agent may see."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from desk.access import team_scope
from tickets.models import Ticket


def tickets_for_agent(user: AbstractBaseUser) -> QuerySet[Ticket]:
    queryset = Ticket.objects.select_related("requester", "assignee", "team", "category")
    scope = team_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def ticket_get_for_agent(user: AbstractBaseUser, pk: int) -> Ticket | None:
    """The ticket, or None when it does not exist or the agent may not see it."""
    return tickets_for_agent(user).filter(pk=pk).first()
