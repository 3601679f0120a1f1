"""The SLA watch: every breached or at-risk ticket and waiting conversation the agent may see, in
one place, due soonest first (a supervisor's scope is every team: desk/kernel/access.py).

A ticket is at risk or breached by the rule of the Tickets list's `sla_risk` filter
(tickets/listing/selectors.py); a waiting conversation once its first-response warning time or
due time has passed (chat/sla_clocks.py). A fixed number of queries whatever the size.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from chat.selectors import conversations_for_agent
from tickets.listing.selectors import TicketListQuery, tickets_list, tickets_page
from tickets.models import Ticket

WATCH_MAX = 100


@dataclass(frozen=True)
class SlaWatch:
    tickets: list[Ticket]
    conversations: list[Conversation]
    as_of: datetime


def sla_watch(user: AbstractBaseUser, now: datetime | None = None) -> SlaWatch:
    """At most WATCH_MAX of each, breached first (the due time soonest first)."""
    now = now or timezone.now()
    query = TicketListQuery(sla_risk=["breached", "at_risk"], sort="sla_due_at")
    tickets, _ = tickets_page(
        tickets_list(user, query), sort=query.sort, after=None, limit=WATCH_MAX
    )
    conversations = list(
        conversations_for_agent(user)
        .filter(sla_due_at__isnull=False)
        .exclude(status=ConversationStatus.CLOSED)
        .filter(Q(sla_due_at__lte=now) | Q(sla_warn_at__lte=now))
        .order_by("sla_due_at", "id")[:WATCH_MAX]
    )
    return SlaWatch(tickets=tickets, conversations=conversations, as_of=now)
