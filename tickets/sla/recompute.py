"""Open tickets' SLA clocks after a supervisor changed the policies or a calendar: each ticket
gets the policy that applies now and due times recomputed with the working time it has already
used (`sla_services.sla_clock`), the change on its timeline, new timers and a push. Run after
commit by a Celery task (`tickets.tasks.sla_recompute_open`), in batches of locked tickets, so
the admin's save returns at once however many tickets are open."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from tickets import events as ticket_events
from tickets.models import BusinessHours, SlaPolicy, Ticket
from tickets.services import clock_events, ticket_event_add
from tickets.sla import services as sla_services
from tickets.sla import timers as sla_timers
from tickets.sla.calendars import calendar_as_it_was, calendar_json, calendar_of
from tickets.sla.display import warning_timers
from tickets.sla.policies import active_policies
from tickets.transitions import DONE_STATUSES

RECOMPUTE_BATCH = 200
# What a policy's due times depend on, as saved before a supervisor's edit.
TARGET_FIELDS = (
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "business_hours_id",
)


def policy_targets(policy: SlaPolicy) -> dict[str, Any]:
    """A policy's targets and calendar as they are now (to pass as `old_targets`)."""
    return {name: getattr(policy, name) for name in TARGET_FIELDS}


def calendars_before(ids: set[int]) -> dict[str, dict[str, Any] | None]:
    """Calendars as they are now, before an edit (to pass as `old_calendars`)."""
    return {
        str(hours.pk): calendar_json(calendar_of(hours))
        for hours in BusinessHours.objects.filter(pk__in=ids)
    }


def sla_recompute_open(
    *,
    old_targets: dict[Any, dict[str, Any]] | None = None,
    old_calendars: dict[Any, dict[str, Any] | None] | None = None,
    batch: int = RECOMPUTE_BATCH,
    now: datetime | None = None,
) -> int:
    """Recompute every open ticket's clock; returns how many changed. What the edit changed, as
    it was before, so the working time a ticket has used is measured as it was counted:
    `old_targets`, a policy id's `policy_targets`; `old_calendars`, a calendar id's
    `calendar_json`."""
    now = now or timezone.now()
    was = _Before(
        targets={int(pk): targets for pk, targets in (old_targets or {}).items()},
        calendars={int(pk): data for pk, data in (old_calendars or {}).items() if data},
    )
    changed, after = 0, 0
    while True:
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(of=("self",))
                .exclude(status__in=DONE_STATUSES)
                .filter(pk__gt=after)
                .select_related(
                    "sla_policy__business_hours", "conversation", "requester", "team", "category"
                )
                .order_by("pk")[:batch]
            )
            if not tickets:
                return changed
            after = tickets[-1].pk
            changed += _recompute(tickets, was, now)


@dataclass(frozen=True)
class _Before:
    targets: dict[int, dict[str, Any]]
    calendars: dict[int, dict[str, Any]]

    def restore(self, policy: SlaPolicy) -> None:
        """Give this ticket's own copy of its policy the targets and calendar it ran by."""
        for name, value in self.targets.get(policy.pk, {}).items():
            setattr(policy, name, value)
        if policy.business_hours_id in self.calendars:
            policy.business_hours = calendar_as_it_was(
                policy.business_hours_id, self.calendars[policy.business_hours_id]
            )
        elif policy.pk in self.targets and policy.business_hours_id is not None:
            policy.business_hours = BusinessHours.objects.get(pk=policy.business_hours_id)


def _recompute(tickets: list[Ticket], was: _Before, now: datetime) -> int:
    policies = active_policies()
    moved = []
    for ticket in tickets:
        if ticket.sla_policy is not None:
            was.restore(ticket.sla_policy)
        fields = sla_services.sla_apply(ticket, now=now, policies=policies)
        ticket.sla_policy = next((p for p in policies if p.pk == ticket.sla_policy_id), None)
        if not fields:
            continue
        ticket.save(update_fields=[*fields, "updated_at"])
        for event in clock_events(ticket, fields):
            ticket_event_add(
                ticket=ticket,
                kind=event.kind,
                actor=None,
                action=event.action,
                body=event.body,
                new_value=event.new_value,
            )
        sla_timers.timers_reset(ticket, now=now)
        moved.append(ticket)
    if moved:
        prefetch_related_objects(moved, warning_timers())
        ticket_events.publish_tickets(moved)
    return len(moved)
