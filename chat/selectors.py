"""Reads of customers and conversations, scoped to what the agent may see."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from chat.models import Conversation
from desk.access import team_scope


def conversations_for_agent(user: AbstractBaseUser) -> QuerySet[Conversation]:
    queryset = Conversation.objects.select_related("customer", "assignee", "team")
    scope = team_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def conversation_get_for_agent(user: AbstractBaseUser, pk: int) -> Conversation | None:
    """The conversation, or None when it does not exist or the agent may not see it."""
    return conversations_for_agent(user).filter(pk=pk).first()
