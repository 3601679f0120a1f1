"""Writes behind the ticket list: tags, bulk actions and the agent's saved views.

A bulk action applies the ordinary service to each ticket in its own transaction, so one refusal
(an invalid transition, a merged ticket) leaves that ticket untouched and the others still change.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from tickets.errors import TicketError
from tickets.field_changes import tag_name
from tickets.models import Ticket, TicketView
from tickets.selectors import tickets_for_agent
from tickets.services import lock_tickets, ticket_update_fields

BULK_MAX = 100
VIEWS_MAX = 50
BULK_ACTIONS = ("assign", "status", "priority", "tag")


@transaction.atomic
def ticket_tag_add(*, actor: AbstractBaseUser | None, ticket: Ticket, name: str) -> bool:
    """Add a tag (created if new) with a `system` event `tagged`; False, writing nothing, when
    the ticket has it already."""
    name = tag_name(name)
    (locked,) = lock_tickets(ticket)
    names = list(locked.tags.values_list("name", flat=True))
    if name in names:
        return False
    ticket_update_fields(actor=actor, ticket=locked, changes={"tags": [*names, name]})
    return True


@dataclass(frozen=True)
class BulkResult:
    id: int
    ok: bool
    code: str = ""


def tickets_bulk_apply(
    *, actor: AbstractBaseUser, ticket_ids: list[int], action: str, value: Any
) -> list[BulkResult]:
    """Apply one action to each ticket the actor can reach, in the order given (duplicates once).

    `value` is already resolved: the assignee user (or None) for `assign`, a status, a priority,
    a tag name. Unreachable ids answer `not_found`; refusals answer the service's code."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    wanted = list(dict.fromkeys(ticket_ids))[:BULK_MAX]
    reachable = {t.pk: t for t in tickets_for_agent(actor).filter(pk__in=wanted)}
    results = []
    for pk in wanted:
        ticket = reachable.get(pk)
        if ticket is None:
            results.append(BulkResult(pk, False, "not_found"))
            continue
        try:
            if action == "tag":
                ticket_tag_add(actor=actor, ticket=ticket, name=value)
            else:
                field = "assignee" if action == "assign" else action
                ticket_update_fields(actor=actor, ticket=ticket, changes={field: value})
        except TicketError as exc:
            results.append(BulkResult(pk, False, exc.code))
        except Ticket.DoesNotExist:
            results.append(BulkResult(pk, False, "not_found"))
        else:
            results.append(BulkResult(pk, True))
    return results


# ---- saved views --------------------------------------------------------------------------


@transaction.atomic
def ticket_view_create(
    *, actor: AbstractBaseUser, name: str, filters: dict[str, Any]
) -> TicketView:
    """Save the actor's list filters under a name (unique per agent), after their other views."""
    name = name.strip()
    if not name:
        raise TicketError("empty_name", _("The name is empty."))
    # The owner's row is the lock: two saves at once count and number their views in turn.
    list(
        get_user_model()
        .objects.select_for_update()
        .filter(pk=actor.pk)
        .values_list("pk", flat=True)
    )
    mine = TicketView.objects.filter(owner=actor)
    if mine.count() >= VIEWS_MAX:
        raise TicketError("too_many_views", _("You have saved too many views."))
    last = mine.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            return TicketView.objects.create(
                owner=actor,
                name=name,
                filters=filters,
                position=0 if last is None else last + 1,
            )
    except IntegrityError as exc:
        raise TicketError("name_taken", _("You already have a view with this name.")) from exc


@transaction.atomic
def ticket_view_delete(*, actor: AbstractBaseUser, view: TicketView) -> None:
    if view.owner_id != actor.pk:
        raise TicketView.DoesNotExist("TicketView matching query does not exist.")
    view.delete()
