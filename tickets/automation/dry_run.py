"""The admin's dry run: the open tickets a rule would touch now, changing nothing."""

from django.db.models import QuerySet
from django.utils import timezone

from tickets.automation.conditions import tickets_due, tickets_matching
from tickets.models import AutomationRule, Ticket

DRY_RUN_LIMIT = 200


def rule_dry_run(rule: AutomationRule, *, limit: int = DRY_RUN_LIMIT) -> QuerySet[Ticket]:
    """A time rule: the tickets its next sweep would fire on (conditions met, hours passed, not
    fired for that moment yet). An event rule: the open tickets meeting its conditions now (its
    event would fire it on them)."""
    if rule.is_time_rule:
        found = tickets_due(rule, now=timezone.now())
    else:
        found = tickets_matching(rule).order_by("-created_at", "-pk")
    return found.select_related("assignee", "team")[:limit]
