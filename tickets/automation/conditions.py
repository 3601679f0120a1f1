"""Which tickets a rule's conditions take (an empty condition takes any): in Python for the one
ticket an event names, and as a query for the sweep and the dry run. Rules act only on tickets
still being worked (not resolved, closed or merged)."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from tickets.models import (
    TIME_TRIGGER_ANCHORS,
    Assigned,
    AutomationRule,
    RuleExecution,
    Ticket,
)
from tickets.transitions import ACTIVE_STATUSES


def rule_matches(rule: AutomationRule, ticket: Ticket, *, sla_policy_id: int | None = None) -> bool:
    """Whether `ticket` (as it is now) meets every condition of `rule`. `sla_policy_id` is the
    policy of the SLA event that triggers it (else the ticket's)."""
    if ticket.status not in ACTIVE_STATUSES or ticket.merged_into_id is not None:
        return False
    if rule.if_status and ticket.status != rule.if_status:
        return False
    if rule.if_priority is not None and ticket.priority != rule.if_priority:
        return False
    if rule.if_team_id is not None and ticket.team_id != rule.if_team_id:
        return False
    if rule.if_category_id is not None and ticket.category_id != rule.if_category_id:
        return False
    if rule.if_channel:
        conversation = ticket.conversation
        if conversation is None or conversation.channel != rule.if_channel:
            return False
    if rule.if_assigned == Assigned.YES and ticket.assignee_id is None:
        return False
    if rule.if_assigned == Assigned.NO and ticket.assignee_id is not None:
        return False
    if rule.if_min_vip_level is not None and ticket.requester.vip_level < rule.if_min_vip_level:
        return False
    if rule.if_sla_policy_id is not None:
        policy_id = sla_policy_id if sla_policy_id is not None else ticket.sla_policy_id
        if policy_id != rule.if_sla_policy_id:
            return False
    wanted_tags = {tag.pk for tag in rule.if_tags.all()}
    return not wanted_tags or ticket.tags.filter(pk__in=wanted_tags).exists()


def tickets_matching(rule: AutomationRule) -> QuerySet[Ticket]:
    """The open tickets that meet every condition of `rule` now."""
    found = Ticket.objects.filter(status__in=ACTIVE_STATUSES, merged_into=None)
    if rule.if_status:
        found = found.filter(status=rule.if_status)
    if rule.if_priority is not None:
        found = found.filter(priority=rule.if_priority)
    if rule.if_team_id is not None:
        found = found.filter(team_id=rule.if_team_id)
    if rule.if_category_id is not None:
        found = found.filter(category_id=rule.if_category_id)
    if rule.if_channel:
        found = found.filter(conversation__channel=rule.if_channel)
    if rule.if_assigned:
        found = found.filter(assignee__isnull=rule.if_assigned == Assigned.NO)
    if rule.if_min_vip_level is not None:
        found = found.filter(requester__vip_level__gte=rule.if_min_vip_level)
    if rule.if_sla_policy_id is not None:
        found = found.filter(sla_policy_id=rule.if_sla_policy_id)
    tag_ids = [tag.pk for tag in rule.if_tags.all()]
    if tag_ids:
        found = found.filter(Exists(Ticket.tags.through.objects.filter(
            ticket_id=OuterRef("pk"), tag_id__in=tag_ids
        )))  # fmt: skip
    return found


def anchor_field(rule: AutomationRule) -> str:
    """The ticket field a time rule's hours count from."""
    return TIME_TRIGGER_ANCHORS[rule.trigger]


def anchor_of(rule: AutomationRule, ticket: Ticket) -> datetime | None:
    """The moment a time rule's hours count from for this ticket (None: not yet): the last
    status change counts from the ticket's making when the status never changed."""
    field = anchor_field(rule)
    value = getattr(ticket, field)
    if value is None and field == "status_changed_at":
        return ticket.created_at
    return value


def tickets_due(rule: AutomationRule, *, now: datetime) -> QuerySet[Ticket]:
    """The open tickets a time rule takes now: they meet its conditions, its hours have passed
    since the moment it counts from, and it has not fired for that moment yet."""
    field = anchor_field(rule)
    cutoff = now - timedelta(hours=rule.hours or 0)
    fired = RuleExecution.objects.filter(rule=rule, ticket=OuterRef("pk"))
    due = tickets_matching(rule)
    if field == "status_changed_at":
        # never changed: counted from the making
        due = due.filter(
            Q(status_changed_at__lte=cutoff)
            | Q(status_changed_at__isnull=True, created_at__lte=cutoff)
        ).exclude(
            Exists(fired.filter(anchor_at=OuterRef("status_changed_at")))
            | Exists(fired.filter(anchor_at=OuterRef("created_at")))
            & Q(status_changed_at__isnull=True)
        )
    else:
        due = due.filter(**{f"{field}__lte": cutoff}).exclude(
            Exists(fired.filter(anchor_at=OuterRef(field)))
        )
    return due.order_by(field, "pk")
