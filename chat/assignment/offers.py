"""Offer mode (issue 12): in a team with `offer_seconds`, routing does not assign a chat at once
but reserves the chosen agent's slot (the same conditional-UPDATE claim as assignment,
routing.capacity.agent_claim) and offers it; the agent accepts or declines within the time.

- Accept (`offer_accept`): the conversation becomes theirs with the slot already reserved (the
  assignee row on the timeline, `conversation.assigned` as for automatic assignment).
- Decline, expiry (`offers_expire`, beat every OFFER_SWEEP_SECONDS on the indexed
  `offer_expires_at`) or the agent going offline (`agent_offers_withdraw`): the slot is freed,
  the agent is written down in `OfferDecline` (never offered this conversation again) and
  `conversation.released` routes it again after commit, so the next eligible agent gets the
  offer. When nobody is left it waits in the queue; later drains offer it only to agents who
  have not passed on it (a supervisor can still assign it to anyone by hand, and overflow and
  the waiting-too-long ticket still apply).
- While on offer it still waits: its customer keeps their place in the queue, and no drain
  gives it to a second agent (`offered_to` is set).

Accept and expiry (or decline) never both happen: each takes the conversation's row lock, and
the change itself is a conditional UPDATE on `offered_to`. A refused accept or decline (the
offer expired, or it is someone else's) is a 409 and changes nothing.
"""

import math
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import events, services
from chat.models import (
    ContentType,
    Conversation,
    ConversationStatus,
    Message,
    OfferDecline,
    OfferDeclineReason,
    SenderType,
)
from desk.kernel import domain_events, push_events, realtime
from desk.kernel.errors import DomainError
from routing import capacity
from routing.models import AgentProfile

FIRST_MESSAGE_CHARS = 200  # of the customer's first words shown on the offer card
SWEEP_LIMIT = 200  # expired offers one sweep withdraws


class OfferExpired(DomainError):
    """The offer was the agent's but is no longer: it expired, or the conversation was taken,
    closed or offered on meanwhile."""

    code = "offer_expired"
    status = 409


class OfferNotYours(DomainError):
    """The conversation is on offer to someone else, or to nobody."""

    code = "offer_not_yours"
    status = 409


def declined_user_ids(conversation_id: int) -> list[int]:
    """The agents who passed on this conversation's offers (never offered it again)."""
    return list(
        OfferDecline.objects.filter(conversation_id=conversation_id).values_list(
            "user_id", flat=True
        )
    )


def first_customer_words(conversation_id: int) -> str:
    body = (
        Message.objects.filter(
            conversation_id=conversation_id, sender_type=SenderType.CUSTOMER, is_internal=False
        )
        .exclude(content_type=ContentType.EVENT)
        .order_by("seq")
        .values_list("body", flat=True)
        .first()
    )
    return (body or "")[:FIRST_MESSAGE_CHARS]


def conversation_offer(*, conversation: Conversation, agent: AgentProfile, seconds: int) -> None:
    """Offer the conversation to `agent`, whose slot routing has just claimed (inside
    conversation_route's transaction, holding the conversation's row lock): it stays in the
    queue, reserved for them until `seconds` have passed; they hear `conversation.offered`."""
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    Conversation.objects.filter(pk=conversation.pk).update(
        offered_to_id=agent.user_id, offer_expires_at=expires, queued_at=Coalesce("queued_at", now)
    )
    services.conversation_event_record(
        actor=None,
        conversation=conversation,
        event="conversation.offer",
        body=_("Offered to %(name)s") % {"name": agent.display_name},
        payload={"agent_id": agent.user_id, "name": agent.display_name, "seconds": seconds},
    )
    summary = Conversation.objects.select_related("customer", "assignee", "team").get(
        pk=conversation.pk
    )
    realtime.publish(
        [realtime.agent_group(agent.user_id)],
        push_events.frame(push_events.CONVERSATION_OFFERED, **offer_json(summary)),
    )


def offer_json(conversation: Conversation) -> dict[str, Any]:
    """What the agent's card shows of a pending offer (the `conversation.offered` fields):
    `seconds` is the time left. `conversation` has customer, team and assignee loaded."""
    expires = conversation.offer_expires_at
    left = max(0, math.ceil((expires - timezone.now()).total_seconds())) if expires else 0
    return {
        "conversation_id": conversation.pk,
        "conversation": events.conversation_json(conversation),
        "first_message": first_customer_words(conversation.pk),
        "expires_at": expires.isoformat() if expires else None,
        "seconds": left,
    }


def offers_pending_json(user_id: int) -> list[dict[str, Any]]:
    """The offers waiting for this agent's answer, soonest due first (the workspace's `hello`,
    so a tab opened or reloaded meanwhile shows their cards too)."""
    pending = (
        Conversation.objects.filter(offered_to_id=user_id, offer_expires_at__gt=timezone.now())
        .select_related("customer", "assignee", "team")
        .order_by("offer_expires_at")
    )
    return [offer_json(conversation) for conversation in pending]


def _locked(conversation_id: int, *, skip_locked: bool = False) -> Conversation | None:
    return (
        Conversation.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=conversation_id)
        .first()
    )


def _refusal(conversation: Conversation, actor: AbstractBaseUser) -> DomainError | None:
    """Why `actor` may not answer this offer now, or None."""
    if conversation.offered_to_id != actor.pk:
        had_it = OfferDecline.objects.filter(conversation=conversation, user_id=actor.pk).exists()
        return OfferExpired(_("This offer has expired.")) if had_it else _not_yours()
    if (
        conversation.offer_expires_at is None
        or conversation.offer_expires_at <= timezone.now()
        or conversation.assignee_id is not None
        or conversation.status == ConversationStatus.CLOSED
    ):
        return OfferExpired(_("This offer has expired."))
    return None


def _not_yours() -> OfferNotYours:
    return OfferNotYours(_("This conversation is not on offer to you."))


@transaction.atomic
def offer_accept(*, actor: AbstractBaseUser, conversation: Conversation) -> Conversation:
    """`actor` takes the conversation offered to them: it is assigned with the slot routing
    reserved. 409 (nothing changes) when the offer expired or is not theirs."""
    locked = _locked(conversation.pk)
    refusal = _refusal(locked, actor) if locked is not None else _not_yours()
    if refusal is not None:
        raise refusal
    taken = Conversation.objects.filter(pk=locked.pk, offered_to_id=actor.pk).update(
        offered_to=None, offer_expires_at=None
    )
    if not taken:
        raise OfferExpired(_("This offer has expired."))
    locked.offered_to_id, locked.offer_expires_at = None, None
    updated = services.conversation_update_fields(
        actor=actor, conversation=locked, changes={"assignee": actor}, slot_claimed=True
    )
    summary = Conversation.objects.select_related(
        "customer", "assignee__agent_profile", "team"
    ).get(pk=updated.pk)
    events.publish_assigned(summary)
    return summary


@transaction.atomic
def offer_decline(*, actor: AbstractBaseUser, conversation: Conversation) -> None:
    """`actor` passes on the conversation offered to them: their slot is freed and it is
    offered to the next eligible agent (or waits in the queue). 409 as for accepting."""
    locked = _locked(conversation.pk)
    refusal = _refusal(locked, actor) if locked is not None else _not_yours()
    if refusal is not None:
        raise refusal
    _withdraw(locked, reason=OfferDeclineReason.DECLINED, actor=actor)


def _withdraw(conversation: Conversation, *, reason: str, actor: AbstractBaseUser | None) -> bool:
    """End the pending offer (the caller holds the row lock): the agent's reserved slot comes
    back, they never get this conversation offered again, the timeline says why, and
    `conversation.released` routes it on after commit."""
    user_id = conversation.offered_to_id
    if user_id is None:
        return False
    if not Conversation.objects.filter(pk=conversation.pk, offered_to_id=user_id).update(
        offered_to=None, offer_expires_at=None
    ):
        return False
    OfferDecline.objects.bulk_create(
        [OfferDecline(conversation_id=conversation.pk, user_id=user_id, reason=reason)],
        ignore_conflicts=True,
    )
    capacity.agent_load_release(user_id=user_id, channel=conversation.channel)
    name = (
        AgentProfile.objects.filter(user_id=user_id).values_list("display_name", flat=True).first()
        or ""
    )
    services.conversation_event_record(
        actor=actor,
        conversation=conversation,
        event="conversation.offer_passed",
        body=_("%(name)s did not take the offer (%(reason)s)")
        % {"name": name, "reason": OfferDeclineReason(reason).label},
        payload={"agent_id": user_id, "name": name, "reason": reason},
    )
    waiting = conversation.assignee_id is None and conversation.status != ConversationStatus.CLOSED
    domain_events.record(
        "conversation.released",
        conversation_id=conversation.pk,
        payload={"agent_id": user_id, "requeue": waiting},
    )
    return True


def _withdraw_one(conversation_id: int, *, reason: str, user_id: int | None = None) -> bool:
    with transaction.atomic():
        locked = _locked(conversation_id, skip_locked=True)
        if locked is None or locked.offered_to_id is None:
            return False
        if user_id is not None and locked.offered_to_id != user_id:
            return False
        if user_id is None and (
            locked.offer_expires_at is None or locked.offer_expires_at > timezone.now()
        ):
            return False
        return _withdraw(locked, reason=reason, actor=None)


def offers_expire(*, limit: int = SWEEP_LIMIT) -> int:
    """Withdraw the offers whose time is up (beat, house rule 7: the partial index
    `conversation_offer_due` holds exactly the pending ones), each in its own transaction so
    its re-routing happens after it commits. Returns how many."""
    due = (
        Conversation.objects.filter(offer_expires_at__lte=timezone.now())
        .order_by("offer_expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_withdraw_one(pk, reason=OfferDeclineReason.EXPIRED) for pk in list(due))


def agent_offers_withdraw(*, user_id: int) -> int:
    """The agent went offline: their pending offers move on to the next agent."""
    pending = Conversation.objects.filter(offered_to_id=user_id).values_list("pk", flat=True)
    return sum(
        _withdraw_one(pk, reason=OfferDeclineReason.OFFLINE, user_id=user_id)
        for pk in list(pending)
    )
