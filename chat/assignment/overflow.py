"""Overflow (issue 12): a chat that has waited in its team's queue longer than the team's
`overflow_after_seconds` is widened — the agents of the team's `fallback_team` become eligible
for it too (routing.capacity.agent_claim `also_team`). It keeps its team (and its place in the
team's queue); `Conversation.overflowed_at` marks it and its timeline says so.

A beat sweep (`chat.tasks.overflow_sweep`, house rule 7) finds the due ones per team with
overflow on, through the partial index `conversation_overflow_wait` (team, queued_at of the
waiting, not yet widened), widens each in its own transaction and routes it after that commits,
as the queue's drains do (chat/assignment/handlers.py says why never inside one transaction).
From then on the queue's drains route it with the wider set of agents.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import services
from chat.assignment import services as assignment
from chat.models import Conversation, ConversationStatus
from routing.models import Team

SWEEP_LIMIT = 200  # conversations one sweep widens per team


def overflow_teams() -> list[Team]:
    """The active teams whose waiting chats may overflow to an active fallback team."""
    return list(
        Team.objects.filter(
            is_active=True,
            auto_assign=True,
            overflow_after_seconds__gt=0,
            fallback_team__is_active=True,
        )
        .exclude(fallback_team=F("pk"))
        .select_related("fallback_team")
    )


def _waiting() -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        overflowed_at__isnull=True, queued_at__isnull=False, assignee__isnull=True
    ).exclude(status=ConversationStatus.CLOSED)


def overflow_due(*, team: Team, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Ids of the team's waiting chats whose wait has reached its overflow time, longest first."""
    cutoff = (now or timezone.now()) - timedelta(seconds=team.overflow_after_seconds or 0)
    return list(
        _waiting()
        .filter(team=team, queued_at__lte=cutoff)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )


def wait_text(seconds: int) -> str:
    if seconds < 120:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 2 * 3600:
        return _("%(n)s min") % {"n": seconds // 60}
    return _("%(n)s h") % {"n": seconds // 3600}


@transaction.atomic
def conversation_overflow(*, conversation_id: int) -> bool:
    """Widen one waiting conversation to its team's fallback team if its wait has reached the
    team's overflow time: mark it and write it on its timeline. False when it is not due (taken,
    closed, widened already, overflow turned off, or locked by someone else)."""
    conversation = (
        _waiting()
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("team__fallback_team")
        .filter(pk=conversation_id)
        .first()
    )
    team = conversation.team if conversation is not None else None
    fallback = team.overflow_team() if team is not None else None
    if fallback is None:
        return False
    now = timezone.now()
    waited = int((now - conversation.queued_at).total_seconds())
    if waited < (team.overflow_after_seconds or 0):
        return False
    Conversation.objects.filter(pk=conversation.pk).update(overflowed_at=now)
    services.conversation_event_record(
        actor=None,
        conversation=conversation,
        event="conversation.overflow",
        body=_("Waited %(time)s: widened to %(team)s")
        % {"time": wait_text(waited), "team": fallback.name},
        payload={"team": fallback.name, "team_id": fallback.pk, "waited_seconds": waited},
    )
    return True


def overflow_sweep(*, limit: int = SWEEP_LIMIT) -> int:
    """Widen every due conversation, then route each once its widening has committed (the
    fallback team's agents with room take it now). Returns how many were widened."""
    widened = 0
    now = timezone.now()
    for team in overflow_teams():
        for conversation_id in overflow_due(team=team, now=now, limit=limit):
            if conversation_overflow(conversation_id=conversation_id):
                widened += 1
                transaction.on_commit(
                    lambda pk=conversation_id: assignment.conversation_route(
                        conversation_id=pk, skip_locked=True
                    )
                )
    return widened
