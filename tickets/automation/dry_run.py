"""The admin's dry run: what a rule would touch now, changing nothing."""

from django.db.models import QuerySet
from django.utils import timezone

from chat.models import Conversation
from tickets.automation.conditions import tickets_due, tickets_matching
from tickets.models import AutomationRule, Ticket
from tickets.sources.timeout import conversations_waiting_too_long, rule_waited

DRY_RUN_LIMIT = 200


def rule_dry_run(
    rule: AutomationRule, *, limit: int = DRY_RUN_LIMIT
) -> QuerySet[Ticket] | QuerySet[Conversation]:
    """A time rule: the open tickets its next sweep would fire on (conditions met, hours passed,
    not fired for that moment yet). An event rule: the open tickets meeting its conditions now
    (its event would fire it on them). A "conversation waiting" rule: the conversations that
    would become tickets now."""
    if rule.is_waiting_rule:
        waited = rule_waited(rule)
        if waited is None:
            return Conversation.objects.none()
        found = conversations_waiting_too_long(waited=waited, rule=rule)
        return found.select_related("customer", "team")[:limit]
    if rule.is_time_rule:
        found = tickets_due(rule, now=timezone.now())
    else:
        found = tickets_matching(rule).order_by("-created_at", "-pk")
    return found.select_related("assignee", "team")[:limit]
