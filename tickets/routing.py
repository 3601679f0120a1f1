"""Routing rules on a new ticket nobody is assigned to (issue 12).

The `ticket.created` handler (`ticket_created_route`, registered in desk/event_handlers.py before
the automation rules) runs after the ticket's transaction committed. The first active rule for
tickets that matches (routing.rules: category, channel, keywords of the subject and description,
the requester's VIP level …) gives the ticket its team when it has none, and an assignee: the
agent of that team who is not offline (with the rule's skill at its level, if it names one) with
the fewest open tickets, the higher skill level first among equals. The change goes through
`ticket_update_fields` (its timeline rows and `ticket.updated`), and one more timeline row names
the rule.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from chat.assignment.rules import rule_decision_text
from desk.kernel import domain_events
from routing import rules
from routing.models import AgentProfile, AgentSkill, Presence, RoutingRule, Team
from tickets.models import Ticket, TicketEventKind
from tickets.services import ticket_event_add, ticket_update_fields
from tickets.transitions import ACTIVE_STATUSES


def ticket_facts(ticket: Ticket) -> rules.RuleFacts:
    text = f"{ticket.subject}\n{ticket.description}"
    requester = ticket.requester
    conversation = ticket.conversation
    site = conversation.widget_site if conversation is not None else None
    categories = [ticket.category.name] if ticket.category is not None else []
    categories += [name for name in rules.categories_detected(text) if name not in categories]
    return rules.RuleFacts(
        kind=rules.TICKETS,
        channel=conversation.channel if conversation is not None else "",
        site_key=str(site.key) if site is not None else "",
        site_name=site.name if site is not None else "",
        vip_level=requester.vip_level,
        attributes=requester.attributes if isinstance(requester.attributes, dict) else {},
        text=text,
        categories=categories,
        language=rules.language_of(text, requester.language),
        at=timezone.now(),
    )


def ticket_assignee_pick(*, team: Team, rule: RoutingRule) -> AbstractBaseUser | None:
    """The team's agent who is not offline with the fewest open tickets (with the rule's skill
    at its level when it names one, the higher level first among equals), or None."""
    agents = AgentProfile.objects.filter(teams=team, user__is_active=True).exclude(
        presence=Presence.OFFLINE
    )
    order: list = ["open_tickets"]
    if rule.skill_id is not None:
        level = AgentSkill.objects.filter(agent=OuterRef("pk"), skill_id=rule.skill_id)
        agents = agents.annotate(skill_level=Subquery(level.values("level")[:1])).filter(
            skill_level__gte=rule.min_skill_level
        )
        order.append(F("skill_level").desc())
    open_tickets = Count(
        "user__assigned_tickets", filter=Q(user__assigned_tickets__status__in=ACTIVE_STATUSES)
    )
    best = (
        agents.annotate(open_tickets=open_tickets)
        .order_by(*order, "pk")
        .select_related("user")
        .first()
    )
    return best.user if best is not None else None


@transaction.atomic
def ticket_rules_apply(*, ticket_id: int) -> RoutingRule | None:
    """Run the ticket rules on a ticket nobody has; returns the rule that matched, if any."""
    ticket = (
        Ticket.objects.select_related("requester", "category", "team", "conversation__widget_site")
        .filter(pk=ticket_id, assignee__isnull=True, merged_into__isnull=True)
        .filter(status__in=ACTIVE_STATUSES)
        .first()
    )
    if ticket is None:
        return None
    rule = rules.rule_match(ticket_facts(ticket))
    if rule is None:
        return None
    team = ticket.team or rule.team
    assignee = ticket_assignee_pick(team=team, rule=rule)
    changes = {"team": team, **({"assignee": assignee} if assignee is not None else {})}
    ticket = ticket_update_fields(actor=None, ticket=ticket, changes=changes)
    text = rule_decision_text(rule, priority=None)
    ticket_event_add(
        ticket=ticket,
        kind=TicketEventKind.SYSTEM,
        body=text,
        new_value=text[:200],
    )
    return rule


@domain_events.takes(lambda event: event.payload.get("assignee_id") is None)
def ticket_created_route(event: domain_events.Event) -> None:
    """A ticket was made without an assignee: the routing rules may give it one."""
    ticket_rules_apply(ticket_id=event.ticket_id)
