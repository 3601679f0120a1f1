"""转工单 way 4, the timer: a conversation nobody has answered in time becomes a ticket, so a
customer who waited is never forgotten. It is an automation rule of the "conversation waiting"
kind (`RuleTrigger.CONVERSATION_WAITING`; the admin edits it with the other rules), swept by
Celery beat (`tickets.tasks.waiting_conversations_sweep`): each active one, in order, with its
minutes (empty: TICKET_AFTER_WAITING_MINUTES; 0 there: never) and its conditions on the
conversation (team, channel, VIP level). The ticket is made by the rule (its name on the
timeline), and the rule's other actions then act on it."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from tickets.automation.actions import rule_apply
from tickets.automation.origin import RuleOrigin
from tickets.models import AutomationRule, RuleTrigger, TicketSource
from tickets.services import TicketData, ticket_create_from_conversation
from tickets.transitions import ACTIVE_STATUSES

SWEEP_BATCH = 200


def rule_waited(rule: AutomationRule) -> timedelta | None:
    """How long a conversation may wait under this rule; None when never."""
    minutes = settings.TICKET_AFTER_WAITING_MINUTES if rule.minutes is None else rule.minutes
    return timedelta(minutes=minutes) if minutes > 0 else None


def waiting_rules() -> list[AutomationRule]:
    """The active "conversation waiting" rules, in order."""
    return list(
        AutomationRule.objects.filter(is_active=True, trigger=RuleTrigger.CONVERSATION_WAITING)
        .select_related("set_assignee", "set_team")
        .prefetch_related("add_tags")
        .order_by("position", "id")
    )


def conversations_waiting_too_long(
    *, waited: timedelta, now: datetime | None = None, rule: AutomationRule | None = None
) -> QuerySet[Conversation]:
    """Still `waiting` (no agent has replied) with the customer's last word older than `waited`,
    and no ticket that already covers it: none open, none made since that last word; and, with a
    rule, meeting its conditions."""
    cutoff = (now or timezone.now()) - waited
    found = (
        Conversation.objects.filter(status=ConversationStatus.WAITING, last_message_at__lte=cutoff)
        .exclude(tickets__status__in=ACTIVE_STATUSES)
        .exclude(tickets__created_at__gte=F("last_message_at"))
    )
    if rule is not None:
        if rule.if_team_id is not None:
            found = found.filter(team_id=rule.if_team_id)
        if rule.if_channel:
            found = found.filter(channel=rule.if_channel)
        if rule.if_min_vip_level is not None:
            found = found.filter(customer__vip_level__gte=rule.if_min_vip_level)
    return found.order_by("last_message_at")


def tickets_for_waiting_conversations(
    *,
    waited: timedelta,
    now: datetime | None = None,
    limit: int = SWEEP_BATCH,
    rule: AutomationRule | None = None,
) -> list[int]:
    """Make the tickets; returns their ids. Each conversation is locked by the service, so a
    sweep racing an agent's 转工单 (or another sweep) still yields one ticket. With a rule, the
    ticket names it on its timeline and the rule's actions act on it in the same transaction."""
    made = []
    for conversation in conversations_waiting_too_long(waited=waited, now=now, rule=rule)[:limit]:
        origin = None if rule is None else RuleOrigin(rule.pk, rule.name, root=0, depth=1)
        with transaction.atomic():
            result = ticket_create_from_conversation(
                actor=None,
                conversation=conversation,
                data=TicketData(subject=""),
                source=TicketSource.TIMEOUT,
                origin=origin,
            )
            if result.created and rule is not None:
                rule_apply(rule, result.ticket, origin=origin, now=now or timezone.now())
        if result.created:
            made.append(result.ticket.pk)
    return made


def waiting_conversations_sweep(*, now: datetime | None = None) -> int:
    """Every active waiting rule, in order: how many tickets were made."""
    made = 0
    for rule in waiting_rules():
        waited = rule_waited(rule)
        if waited is not None:
            made += len(tickets_for_waiting_conversations(waited=waited, now=now, rule=rule))
    return made
