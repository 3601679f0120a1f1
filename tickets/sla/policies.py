"""Which SLA policy applies: the active policies in their order, the first whose conditions all
hold (an empty condition holds for anything). A policy that an earlier one always beats can never
apply; the admin flags it."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tickets.models import SlaPolicy, Ticket


@dataclass(frozen=True)
class Subject:
    """What a policy's conditions look at, for a ticket or a waiting conversation."""

    priority: int
    category_id: int | None = None
    team_id: int | None = None
    channel: str = ""
    vip_level: int = 0


def subject_of(ticket: Ticket) -> Subject:
    conversation = ticket.conversation
    return Subject(
        priority=ticket.priority,
        category_id=ticket.category_id,
        team_id=ticket.team_id,
        channel=conversation.channel if conversation is not None else "",
        vip_level=ticket.requester.vip_level,
    )


def matches(policy: SlaPolicy, subject: Subject) -> bool:
    return (
        (policy.priority is None or policy.priority == subject.priority)
        and (policy.category_id is None or policy.category_id == subject.category_id)
        and (policy.team_id is None or policy.team_id == subject.team_id)
        and (not policy.channel or policy.channel == subject.channel)
        and (policy.min_vip_level is None or subject.vip_level >= policy.min_vip_level)
    )


def active_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(is_active=True).select_related("business_hours"))


def policy_for(subject: Subject, policies: Iterable[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy, in order, that matches; None when none does."""
    candidates = active_policies() if policies is None else policies
    return next((policy for policy in candidates if matches(policy, subject)), None)


def covers(earlier: SlaPolicy, later: SlaPolicy) -> bool:
    """Whether `earlier` matches everything `later` matches (so `later`, after it, never
    applies)."""
    return (
        (earlier.priority is None or earlier.priority == later.priority)
        and (earlier.category_id is None or earlier.category_id == later.category_id)
        and (earlier.team_id is None or earlier.team_id == later.team_id)
        and (not earlier.channel or earlier.channel == later.channel)
        and (
            earlier.min_vip_level is None
            or (later.min_vip_level is not None and later.min_vip_level >= earlier.min_vip_level)
        )
    )


def shadowed_by(policy: SlaPolicy, ordered: Sequence[SlaPolicy]) -> SlaPolicy | None:
    """The active policy before `policy` in `ordered` (all policies, in order) that always wins
    over it, if any."""
    for earlier in ordered:
        if earlier.pk == policy.pk:
            return None
        if earlier.is_active and covers(earlier, policy):
            return earlier
    return None
