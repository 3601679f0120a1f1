"""A waiting conversation's first-response clock: when the customer starts waiting (their first
message since the last agent reply), the first SLA policy matching the conversation (channel,
team, the customer's VIP level, the conversation's priority; no category) gives a first-response
due time from that moment in the policy's business time; an agent's public reply stops it, and
the next wait starts a new one.

It is kept on the conversation row (`sla_started_at`, `sla_due_at`, `sla_warn_at`, indexed by due
time) with a warning and a breach `SlaTimer` (no ticket) that the same beat sweep fires once
(tickets/sla/timers.py). Set and cleared by the `message.created` handler after the message's
commit (tickets/handlers.py), never inside the message path.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from chat import events as chat_events
from chat.models import Conversation, ConversationStatus, Message, SenderType
from chat.sla_clocks import FIRST_RESPONSE
from tickets.models import SlaPhase, SlaPolicy, SlaTarget, SlaTimer
from tickets.sla.calendar import NoWorkingTime, add_business_time
from tickets.sla.calendars import calendar_of, calendars_load
from tickets.sla.display import clock_json
from tickets.sla.policies import Subject, active_policies, policy_for

SUBJECT_FIELDS = ("priority", "team_id", "channel")  # and the customer's VIP level


def conversation_subject(conversation: Conversation) -> Subject:
    return Subject(
        priority=conversation.priority,
        team_id=conversation.team_id,
        channel=conversation.channel,
        vip_level=conversation.customer.vip_level,
    )


def _locked(conversation_id: int) -> Conversation | None:
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "team", "assignee")
        .filter(pk=conversation_id)
        .first()
    )


def _full_clock(conversation: Conversation, policy: SlaPolicy | None) -> dict[str, Any] | None:
    if conversation.sla_due_at is None or conversation.status == ConversationStatus.CLOSED:
        return None
    return clock_json(
        policy=policy,
        target=SlaTarget.FIRST_RESPONSE,
        due_at=conversation.sla_due_at,
        warn_at=conversation.sla_warn_at,
        paused_at=None,
    )


@transaction.atomic
def conversation_sla_start(
    *, conversation_id: int, since: datetime, seq: int
) -> Conversation | None:
    """The customer's message `seq` (sent at `since`) starts a wait: give it its clock, unless
    the conversation is closed, waits already, an agent has answered since, or no policy
    applies. Returns the conversation when it started one."""
    conversation = _locked(conversation_id)
    if conversation is None or conversation.status == ConversationStatus.CLOSED:
        return None
    if conversation.sla_started_at is not None:
        return None  # waiting already: the clock runs from the first unanswered message
    answered = Message.objects.filter(
        conversation_id=conversation_id,
        sender_type=SenderType.AGENT,
        is_internal=False,
        seq__gt=seq,
    ).exists()
    if answered:
        return None
    return _clock_start(conversation, since)


def _clock_start(conversation: Conversation, since: datetime) -> Conversation | None:
    """Give the locked conversation a wait from `since`: the first matching policy's due and
    warning times in its business time, and their timers; None when no policy applies."""
    policy = policy_for(conversation_subject(conversation))
    if policy is None:
        return None
    calendar = calendar_of(policy.business_hours)
    minutes = policy.first_response_minutes
    try:
        due = add_business_time(calendar, since, timedelta(minutes=minutes))
        warn = add_business_time(
            calendar, since, timedelta(minutes=minutes * policy.warn_percent / 100)
        )
    except NoWorkingTime:
        return None
    conversation.sla_started_at, conversation.sla_due_at, conversation.sla_warn_at = (
        since,
        due,
        warn,
    )
    conversation.save(update_fields=["sla_started_at", "sla_due_at", "sla_warn_at"])
    SlaTimer.objects.filter(conversation=conversation, ticket=None, fired_at=None).delete()
    SlaTimer.objects.bulk_create(
        [
            SlaTimer(
                conversation=conversation,
                target=SlaTarget.FIRST_RESPONSE,
                phase=phase,
                due_at=due,
                fire_at=fire_at,
            )
            for phase, fire_at in ((SlaPhase.WARNING, warn), (SlaPhase.BREACH, due))
        ]
    )
    chat_events.publish_conversation(
        conversation, current=True, sla=_full_clock(conversation, policy)
    )
    return conversation


def _unanswered_since(conversation_id: int) -> datetime | None:
    """When the customer's first public message after the last public agent reply was sent;
    None when every message of theirs is answered."""
    public = Message.objects.filter(conversation_id=conversation_id, is_internal=False)
    last_reply = public.filter(sender_type=SenderType.AGENT).order_by("-seq").values("seq")[:1]
    return (
        public.filter(sender_type=SenderType.CUSTOMER, seq__gt=Subquery(last_reply))
        .order_by("seq")
        .values_list("created_at", flat=True)
        .first()
    )


@transaction.atomic
def conversation_sla_stop(*, conversation_id: int, answered_at: datetime) -> Conversation | None:
    """An agent's public reply sent at `answered_at` ends the wait that started before it: the
    clock and its pending timers go. A customer's message after the last reply (handled before
    this reply by another worker, it saw the old wait and left it) starts the next wait here.
    Returns the conversation when it stopped one."""
    conversation = _locked(conversation_id)
    if conversation is None or conversation.sla_started_at is None:
        return None
    if answered_at < conversation.sla_started_at:
        return None  # a reply older than this wait (handled late): the wait goes on
    conversation.sla_started_at = conversation.sla_due_at = conversation.sla_warn_at = None
    conversation.save(update_fields=["sla_started_at", "sla_due_at", "sla_warn_at"])
    SlaTimer.objects.filter(conversation=conversation, ticket=None, fired_at=None).delete()
    since = _unanswered_since(conversation_id)
    if since is None or _clock_start(conversation, since) is None:
        chat_events.publish_conversation(conversation, current=True)
    return conversation


@transaction.atomic
def conversation_sla_stop_if_closed(*, conversation_id: int) -> Conversation | None:
    """A closed conversation's wait is over: its clock and pending timers go (a reopened one
    starts a new wait with the customer's next message)."""
    conversation = _locked(conversation_id)
    if conversation is None or conversation.sla_started_at is None:
        return None
    if conversation.status != ConversationStatus.CLOSED:
        return None
    conversation.sla_started_at = conversation.sla_due_at = conversation.sla_warn_at = None
    conversation.save(update_fields=["sla_started_at", "sla_due_at", "sla_warn_at"])
    SlaTimer.objects.filter(conversation=conversation, ticket=None, fired_at=None).delete()
    return conversation


def conversation_sla_on_message(*, message_id: int) -> Conversation | None:
    """Start or stop the clock for a stored message: a customer's or an agent's public one, or
    an activity row (a status change). The message is read with its conversation's clock, not
    locked: a customer's message while the conversation waits already or that no policy covers,
    or a reply or activity row while it does not wait, changes nothing and ends there (most
    messages). The services lock
    and check again; a wait that ends while a message is handled is taken over by the reply's
    handler (`conversation_sla_stop`)."""
    message = (
        Message.objects.filter(pk=message_id)
        .select_related("conversation__customer")
        .only(
            "conversation_id",
            "sender_type",
            "seq",
            "created_at",
            "is_internal",
            "conversation__sla_started_at",
            "conversation__status",
            *(f"conversation__{field}" for field in SUBJECT_FIELDS),
            "conversation__customer__vip_level",
        )
        .first()
    )
    if message is None or (message.is_internal and message.sender_type != SenderType.SYSTEM):
        return None
    waiting = message.conversation.sla_started_at is not None
    if message.sender_type == SenderType.SYSTEM:
        if not waiting:
            return None
        return conversation_sla_stop_if_closed(conversation_id=message.conversation_id)
    if message.sender_type == SenderType.CUSTOMER:
        if waiting or message.conversation.status == ConversationStatus.CLOSED:
            return None
        if policy_for(conversation_subject(message.conversation)) is None:
            return None  # no policy for such a conversation: no clock to start
        return conversation_sla_start(
            conversation_id=message.conversation_id, since=message.created_at, seq=message.seq
        )
    if message.sender_type == SenderType.AGENT and waiting:
        return conversation_sla_stop(
            conversation_id=message.conversation_id, answered_at=message.created_at
        )
    return None


def conversation_clocks(
    conversations: Sequence[Conversation], now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """The full clocks (business time) of conversations that have one, by id: the active
    policies in one query and their calendars in three, whatever the number (registered with
    chat for the inbox list: chat/sla_clocks.py). The policy is the one that matches now."""
    policies = active_policies()
    calendars_load(policy.business_hours for policy in policies)
    now = now or timezone.now()
    clocks = {}
    for conversation in conversations:
        if conversation.sla_due_at is None:
            continue
        policy = policy_for(conversation_subject(conversation), policies)
        clocks[conversation.pk] = clock_json(
            policy=policy,
            target=FIRST_RESPONSE,
            due_at=conversation.sla_due_at,
            warn_at=conversation.sla_warn_at,
            paused_at=None,
            now=now,
        )
    return clocks
