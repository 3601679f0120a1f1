"""What a rule does to a ticket, each action through the ticket services (their timeline rows,
pushes, chat messages and domain events), named with the rule's `origin`."""

import logging
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from desk.kernel.choices import Priority
from tickets.automation import notices
from tickets.automation.origin import RuleOrigin
from tickets.models import AutomationRule, Ticket
from tickets.services import ticket_reply, ticket_update_fields
from tickets.transitions import transition_allowed

logger = logging.getLogger(__name__)


def field_changes(rule: AutomationRule, ticket: Ticket) -> dict[str, Any]:
    """The field changes the rule asks of this ticket: assignee, team, priority (set, or raised
    one step), status (only where the ticket may go to it now) and tags (added)."""
    changes: dict[str, Any] = {}
    if rule.set_assignee_id is not None and rule.set_assignee.is_active:
        changes["assignee"] = rule.set_assignee
    if rule.set_team_id is not None:
        changes["team"] = rule.set_team
    if rule.set_priority is not None:
        changes["priority"] = rule.set_priority
    elif rule.raise_priority and ticket.priority > Priority.P0:
        changes["priority"] = ticket.priority - 1
    if rule.set_status and rule.set_status != ticket.status:
        if transition_allowed(ticket.status, rule.set_status):
            changes["status"] = rule.set_status
        else:
            logger.info("rule %s: ticket %s cannot go to %s", rule.pk, ticket.pk, rule.set_status)
    wanted = [tag.name for tag in rule.add_tags.all()]
    if wanted:
        current = list(ticket.tags.values_list("name", flat=True))
        missing = [name for name in wanted if name not in current]
        if missing:
            changes["tags"] = current + missing
    return changes


def rule_apply(rule: AutomationRule, ticket: Ticket, *, origin: RuleOrigin, now: datetime) -> None:
    """Run the rule's actions on the ticket, in the order of the form: fields, internal note,
    reply to the customer, notification. Must run inside the caller's transaction."""
    changes = field_changes(rule, ticket)
    if changes:
        ticket = ticket_update_fields(actor=None, ticket=ticket, changes=changes, origin=origin)
    if rule.internal_note.strip():
        ticket_reply(
            actor=None, ticket=ticket, body=rule.internal_note, internal=True, origin=origin
        )
    if rule.customer_reply.strip() and ticket.conversation_id is not None:
        ticket_reply(
            actor=None, ticket=ticket, body=rule.customer_reply, internal=False, origin=origin
        )
    if rule.notify:
        notices.notice_send(
            ticket=ticket,
            recipient_ids=notices.recipients(rule.notify, ticket),
            text=rule.notify_text or _("Automation: %(name)s") % {"name": rule.name},
            origin=origin,
            now=now,
        )
