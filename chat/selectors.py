"""Reads of customers, conversations and messages, scoped to what the reader may see."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from chat.models import Conversation, Message
from desk.access import team_scope

REPLAY_LIMIT = 500
PAGE_LIMIT = 50


def conversations_for_agent(user: AbstractBaseUser) -> QuerySet[Conversation]:
    queryset = Conversation.objects.select_related("customer", "assignee__agent_profile", "team")
    scope = team_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def conversation_get_for_agent(user: AbstractBaseUser, pk: int) -> Conversation | None:
    """The conversation, or None when it does not exist or the agent may not see it."""
    return conversations_for_agent(user).filter(pk=pk).first()


def _messages(conversation_id: int, *, include_internal: bool) -> QuerySet[Message]:
    queryset = Message.objects.filter(conversation_id=conversation_id).select_related(
        "sender_user__agent_profile"
    )
    if not include_internal:
        queryset = queryset.filter(is_internal=False)
    return queryset.prefetch_related("attachments")


def messages_after(
    conversation_id: int, *, after_seq: int, include_internal: bool, limit: int = REPLAY_LIMIT
) -> list[Message]:
    """The gap a client missed, oldest first (resume after a reconnect or a seq gap)."""
    queryset = _messages(conversation_id, include_internal=include_internal)
    return list(queryset.filter(seq__gt=after_seq).order_by("seq")[:limit])


def messages_before(
    conversation_id: int,
    *,
    before_seq: int | None,
    include_internal: bool,
    limit: int = PAGE_LIMIT,
) -> list[Message]:
    """One page of history ending before `before_seq` (the latest page when None), oldest first."""
    queryset = _messages(conversation_id, include_internal=include_internal)
    if before_seq is not None:
        queryset = queryset.filter(seq__lt=before_seq)
    return list(reversed(queryset.order_by("-seq")[:limit]))
