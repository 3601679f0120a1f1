"""Agent notifications (the workspace's bell): every write, and the `notification` push.

Who hears what (docs/protocol.md, `notification`):

- `mention`: an agent wrote `@username` in a ticket note or reply. Usernames are ASCII letters,
  digits and `_ . -`, matched without regard to case against active agents; unknown names, the
  author and agents who may not see the ticket (`desk.kernel.access`, the ticket selectors) are
  skipped,
  so a mention never leaks a ticket to someone outside its scope. One notification per agent per
  text, however often they are named.
- `ticket_reply`: the customer wrote on a ticket (a reply or a chat message that continues it);
  its assignee hears it. While that notification is unread, later replies on the same ticket add
  no more (the timeline has them all).
- `ticket_assigned`: someone else gave a ticket to an agent.
- `automation`: an automation rule's `notify` action (its team's hours permitting).
- `ticket_created`: a conversation assigned to an agent became a ticket by someone else's hand or
  by itself (keyword trigger, menu, timeout …: no actor; the ticket's `source` says which).

Tickets do not call these: they record domain events (`ticket.created`, `ticket.updated`,
`ticket.comment_added`, `ticket.customer_replied`) and `desk.notifications.handlers` calls these
after the ticket's transaction committed, each in its own transaction; the push goes out after
that one commits (`desk.kernel.realtime`).
"""

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.models import Conversation
from desk.kernel import push_events, realtime
from desk.notifications.models import EXCERPT_MAX, Notification, NotificationKind
from routing.models import AgentProfile
from routing.selectors import agent_display_name
from tickets.models import SlaTarget, Ticket
from tickets.selectors import tickets_for_agent

NOTIFICATION = "notification"
# `@name` not glued to a word or an e-mail address before it.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.\-]+)")
MENTIONS_MAX = 20  # distinct names looked up per text; more is not a note, it is a roll call


def excerpt(text: str) -> str:
    """The text on one line, cut to EXCERPT_MAX characters (an ellipsis marks the cut)."""
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT_MAX else line[: EXCERPT_MAX - 1] + "…"


def notification_json(notification: Notification) -> dict[str, Any]:
    """One notification, as the API lists it and the `notification` event carries it."""
    ticket = notification.ticket
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "ticket": None
        if ticket is None
        else {
            "id": ticket.pk,
            "number": ticket.number,
            "subject": ticket.subject,
            "source": ticket.source,
        },
        "conversation_id": notification.conversation_id,
        "actor": {"id": notification.actor_id, "name": notification.actor_name},
        "excerpt": notification.excerpt,
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def _publish(user_id: int, event: dict[str, Any]) -> None:
    event["unread"] = unread_count(user_id)
    realtime.publish([realtime.agent_group(user_id)], push_events.frame(NOTIFICATION, **event))


@transaction.atomic
def notify(
    *,
    recipient: AbstractBaseUser,
    kind: str,
    actor: AbstractBaseUser | None = None,
    actor_name: str = "",
    ticket: Ticket | None = None,
    conversation_id: int | None = None,
    text: str = "",
) -> Notification | None:
    """Write one notification and push it to the recipient's tabs after commit. Nobody is told
    of their own doing: returns None when the recipient is the actor."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if actor is not None and actor.pk == recipient.pk:
        return None
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        actor_name=(actor_name or agent_display_name(actor))[:150],
        ticket=ticket,
        conversation_id=conversation_id,
        excerpt=excerpt(text),
    )
    _publish(recipient.pk, {"op": "new", "notification": notification_json(notification)})
    return notification


# ---- what the ticket event handlers call ------------------------------------------------------


def mentioned_names(text: str) -> list[str]:
    """The distinct `@names` of a text, lower-cased, in order; a name's trailing `.` or `-`
    (the end of a sentence) is tried both with and without it."""
    names: dict[str, None] = {}
    for match in MENTION.finditer(text):
        name = match.group(1).lower()
        names[name] = None
        names[name.rstrip(".-")] = None
        if len(names) >= 2 * MENTIONS_MAX:
            break
    return [name for name in names if name]


def mentioned_agents(text: str) -> list[AbstractBaseUser]:
    """Active agents named with `@username` in the text (unknown names are ignored)."""
    names = mentioned_names(text)
    if not names:
        return []
    wanted = Q()
    for name in names:
        wanted |= Q(username__iexact=name)
    agents = AgentProfile.objects.filter(user__is_active=True).values("user_id")
    return list(
        get_user_model()
        .objects.filter(wanted, pk__in=agents)
        .select_related("agent_profile")
        .order_by("pk")
    )


def notify_mentions(
    *, actor: AbstractBaseUser | None, ticket: Ticket, body: str
) -> list[Notification]:
    """A `mention` for every agent the text names who may see the ticket, once each."""
    sent = []
    for user in mentioned_agents(body):
        if actor is not None and user.pk == actor.pk:
            continue
        if not tickets_for_agent(user).filter(pk=ticket.pk).exists():
            continue
        notification = notify(
            recipient=user,
            kind=NotificationKind.MENTION,
            actor=actor,
            ticket=ticket,
            conversation_id=ticket.conversation_id,
            text=body,
        )
        if notification is not None:
            sent.append(notification)
    return sent


@transaction.atomic
def notify_customer_reply(
    *, ticket: Ticket, assignee: AbstractBaseUser | None, customer_name: str, body: str
) -> Notification | None:
    """The ticket's assignee (when the customer wrote) hears that its customer wrote, unless a
    reply notification of this ticket is still unread.

    The assignee's row is locked (`FOR NO KEY UPDATE`: other notifications of theirs are still
    written meanwhile) so that two replies handled at once by two workers do not both find
    nothing unread and both notify."""
    if assignee is None:
        return None
    get_user_model().objects.select_for_update(no_key=True).filter(pk=assignee.pk).exists()
    waiting = Notification.objects.filter(
        recipient_id=assignee.pk,
        ticket=ticket,
        kind=NotificationKind.TICKET_REPLY,
        read_at__isnull=True,
    )
    if waiting.exists():
        return None
    return notify(
        recipient=assignee,
        kind=NotificationKind.TICKET_REPLY,
        actor_name=customer_name,
        ticket=ticket,
        conversation_id=ticket.conversation_id,
        text=body,
    )


def notify_assigned(
    *, actor: AbstractBaseUser | None, ticket: Ticket, assignee: AbstractBaseUser | None
) -> Notification | None:
    """The new assignee hears that someone else gave them the ticket."""
    if assignee is None:
        return None
    return notify(
        recipient=assignee,
        kind=NotificationKind.TICKET_ASSIGNED,
        actor=actor,
        ticket=ticket,
        conversation_id=ticket.conversation_id,
        text=ticket.subject,
    )


def notify_ticket_created(
    *, actor: AbstractBaseUser | None, ticket: Ticket, conversation_agent: AbstractBaseUser | None
) -> Notification | None:
    """The agent the conversation was assigned to hears that it became a ticket."""
    if conversation_agent is None or ticket.conversation_id is None:
        return None
    return notify(
        recipient=conversation_agent,
        kind=NotificationKind.TICKET_CREATED,
        actor=actor,
        ticket=ticket,
        conversation_id=ticket.conversation_id,
        text=ticket.subject,
    )


def notify_sla(
    *, ticket: Ticket, recipients: list[AbstractBaseUser], breached: bool, target: str
) -> list[Notification]:
    """An SLA clock of the ticket reached its warning or its breach: each recipient hears it
    once (the sweep fires each timer once)."""
    kind = NotificationKind.SLA_BREACHED if breached else NotificationKind.SLA_WARNING
    made = []
    for recipient in {user.pk: user for user in recipients}.values():
        note = notify(
            recipient=recipient,
            kind=kind,
            actor_name=str(SlaTarget(target).label) if target in SlaTarget.values else target,
            ticket=ticket,
            conversation_id=ticket.conversation_id,
            text=ticket.subject,
        )
        if note is not None:
            made.append(note)
    return made


def notify_automation(
    *, ticket: Ticket, recipients: list[AbstractBaseUser], rule_name: str, text: str
) -> list[Notification]:
    """An automation rule (or an SLA escalation rule) notifies: each recipient hears it once,
    the rule's name as who did it."""
    made = []
    for recipient in {user.pk: user for user in recipients}.values():
        note = notify(
            recipient=recipient,
            kind=NotificationKind.AUTOMATION,
            actor_name=rule_name,
            ticket=ticket,
            conversation_id=ticket.conversation_id,
            text=text or ticket.subject,
        )
        if note is not None:
            made.append(note)
    return made


def notify_conversation_sla(
    *,
    conversation: Conversation,
    recipients: list[AbstractBaseUser],
    breached: bool,
    target: str,
) -> list[Notification]:
    """A waiting conversation's first-response clock reached its warning or its breach: each
    recipient hears it once (the sweep fires each timer once)."""
    kind = NotificationKind.SLA_BREACHED if breached else NotificationKind.SLA_WARNING
    made = []
    for recipient in {user.pk: user for user in recipients}.values():
        note = notify(
            recipient=recipient,
            kind=kind,
            actor_name=str(SlaTarget(target).label) if target in SlaTarget.values else target,
            conversation_id=conversation.pk,
            text=str(conversation.customer),
        )
        if note is not None:
            made.append(note)
    return made


# ---- read ------------------------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(
    *, user: AbstractBaseUser, ids: Iterable[int] | None = None, everything: bool = False
) -> int:
    """Mark the user's unread notifications with these ids (others' ids are ignored), or all of
    them; return how many changed. The user's other tabs hear it (op `read`)."""
    if (ids is None) == (not everything):
        raise ValueError("give either ids or everything=True")
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    changed_ids: list[int] = []
    if not everything:
        changed_ids = list(unread.filter(pk__in=set(ids or ())).values_list("pk", flat=True))
        unread = unread.filter(pk__in=changed_ids)
    changed = unread.update(read_at=timezone.now())
    if changed:
        _publish(user.pk, {"op": "read", "ids": sorted(changed_ids), "all": everything})
    return changed
