"""Agents' load counters checked against the conversations they hold.

`AgentProfile.active_chats` moves with every assignment (routing.capacity), so it is right as
long as conversations change through the services. A row changed behind their back — an open
conversation deleted in the admin, its assignee's account deleted — leaves a count that no
conversation backs, and the agent gets fewer chats than they can take, for good. The queue's
sweep mends such counts here.

Safe beside concurrent claims: each agent's row is locked before their conversations are
counted, so a claim still in flight (it holds that lock from its UPDATE to its commit) has
committed first and is counted (READ COMMITTED takes a fresh snapshot per statement). The
conversation's row is never locked here, so the claims' order (conversation, then agent)
cannot deadlock with it.
"""

import logging

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from chat.models import Conversation, ConversationStatus
from routing.models import AgentChannelCapacity, AgentProfile

logger = logging.getLogger(__name__)


def _held() -> Subquery:
    return Subquery(
        Conversation.objects.filter(assignee_id=OuterRef("user_id"))
        .exclude(status=ConversationStatus.CLOSED)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )


def agent_load_reconcile() -> list[tuple[int, int, int]]:
    """Set each agent's count whose conversations say otherwise to what they hold; returns
    (user id, old count, new count) for each mended agent."""
    suspects = list(
        AgentProfile.objects.annotate(held=Coalesce(_held(), 0))
        .filter(~Q(active_chats=F("held")))
        .values_list("pk", flat=True)
    )
    mended = []
    for pk in suspects:
        with transaction.atomic():
            profile = AgentProfile.objects.select_for_update().filter(pk=pk).first()
            if profile is None:
                continue
            held = (
                Conversation.objects.filter(assignee_id=profile.user_id)
                .exclude(status=ConversationStatus.CLOSED)
                .count()
            )
            if held != profile.active_chats:
                AgentProfile.objects.filter(pk=pk).update(active_chats=held)
                mended.append((profile.user_id, profile.active_chats, held))
                logger.warning(
                    "agent %s: load counted %s, holds %s: mended",
                    profile.user_id,
                    profile.active_chats,
                    held,
                )
    return mended


def channel_load_reconcile() -> int:
    """The same for each per-channel limit's count (routing.models.AgentChannelCapacity): the
    row is locked before the agent's open conversations of its channel are counted. Returns how
    many counts were mended."""
    held = Subquery(
        Conversation.objects.filter(
            assignee_id=OuterRef("agent__user_id"), channel=OuterRef("channel")
        )
        .exclude(status=ConversationStatus.CLOSED)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    suspects = list(
        AgentChannelCapacity.objects.annotate(held=Coalesce(held, 0))
        .filter(~Q(active_chats=F("held")))
        .values_list("pk", flat=True)
    )
    mended = 0
    for pk in suspects:
        with transaction.atomic():
            row = (
                AgentChannelCapacity.objects.select_for_update(of=("self",))
                .select_related("agent")
                .filter(pk=pk)
                .first()
            )
            if row is None:
                continue
            count = (
                Conversation.objects.filter(assignee_id=row.agent.user_id, channel=row.channel)
                .exclude(status=ConversationStatus.CLOSED)
                .count()
            )
            if count != row.active_chats:
                AgentChannelCapacity.objects.filter(pk=pk).update(active_chats=count)
                logger.warning(
                    "agent %s, %s: load counted %s, holds %s: mended",
                    row.agent.user_id,
                    row.channel,
                    row.active_chats,
                    count,
                )
                mended += 1
    return mended
