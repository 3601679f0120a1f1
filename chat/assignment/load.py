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
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from chat.models import Conversation, ConversationStatus
from routing.models import AgentChannelCapacity, AgentProfile

logger = logging.getLogger(__name__)


def _open(**match: object) -> QuerySet[Conversation]:
    return Conversation.objects.filter(**match).exclude(status=ConversationStatus.CLOSED)


def _held(**outer: str) -> Subquery:
    """How many open conversations the outer row's agent holds (`outer`: conversation field ->
    the outer row's field)."""
    match = {field: OuterRef(ref) for field, ref in outer.items()}
    return Subquery(
        _open(**match).order_by().values("assignee_id").annotate(n=Count("pk")).values("n")[:1]
    )


def _mend(
    rows: QuerySet, held: Subquery, match: Callable[[Any], dict[str, object]]
) -> list[tuple[Any, int, int]]:
    """Each row of `rows` whose `active_chats` differs from `held` is locked, counted again
    (`match(row)`: the filter of its open conversations) and set; returns (row, old, new)."""
    suspects = list(
        rows.annotate(held=Coalesce(held, 0))
        .filter(~Q(active_chats=F("held")))
        .values_list("pk", flat=True)
    )
    mended = []
    for pk in suspects:
        with transaction.atomic():
            row = rows.select_for_update(of=("self",)).filter(pk=pk).first()
            if row is None:
                continue
            count = _open(**match(row)).count()
            if count != row.active_chats:
                type(row).objects.filter(pk=pk).update(active_chats=count)
                mended.append((row, row.active_chats, count))
                logger.warning(
                    "%s: load counted %s, holds %s: mended", row, row.active_chats, count
                )
    return mended


def agent_load_reconcile() -> list[tuple[int, int, int]]:
    """Set each agent's count whose conversations say otherwise to what they hold; returns
    (user id, old count, new count) for each mended agent."""
    mended = _mend(
        AgentProfile.objects.all(),
        _held(assignee_id="user_id"),
        lambda profile: {"assignee_id": profile.user_id},
    )
    return [(profile.user_id, old, new) for profile, old, new in mended]


def channel_load_reconcile() -> int:
    """The same for each per-channel limit's count (routing.models.AgentChannelCapacity): the
    row is locked before the agent's open conversations of its channel are counted. Returns how
    many counts were mended."""
    mended = _mend(
        AgentChannelCapacity.objects.select_related("agent"),
        _held(assignee_id="agent__user_id", channel="channel"),
        lambda limit: {"assignee_id": limit.agent.user_id, "channel": limit.channel},
    )
    return len(mended)
