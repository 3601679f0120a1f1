"""Shapes of the ticket list, saved views and bulk actions (/api/v1/tickets/, /ticket-views/)."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.models import Channel
from desk.kernel.choices import Priority
from desk.kernel.ids import IdField, WholeNumberField, is_db_int, parse_id
from desk.kernel.json_input import json_loads
from desk.kernel.paging import CURSOR_UNKNOWN, search_cursor_taken
from tickets.events import ticket_json
from tickets.listing.selectors import (
    DEFAULT_SORT,
    SLA_RISKS,
    SORTS,
    CursorKey,
    TicketListQuery,
)
from tickets.listing.services import BULK_ACTIONS, BULK_MAX
from tickets.models import Ticket, TicketStatus, TicketView
from tickets.serializers import TicketSummarySerializer

PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
TAG_MAX = 50

# ---- cursors ------------------------------------------------------------------------------


def encode_cursor(sort: str, key: CursorKey) -> str:
    value, pk = key
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> CursorKey:
    """The key a cursor names; a cursor from another sort (or none the server gave) is refused."""
    invalid = serializers.ValidationError(CURSOR_UNKNOWN)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, pk = json_loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise invalid from exc
    if cursor_sort != sort or not is_db_int(pk):
        raise invalid
    if value is None:
        return None, pk
    if SORTS[sort][0] == "priority":
        if not is_db_int(value):
            raise invalid
        return value, pk
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise invalid
    return moment, pk


# ---- filters ------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class AssigneeFilterField(serializers.Field):
    """A user id, `me` or `none`."""

    def to_internal_value(self, data: Any) -> int | str:
        value = str(data).strip() if isinstance(data, (str, int)) else ""
        if value in ("me", "none"):
            return value
        number = parse_id(value)
        if number is not None:
            return number
        raise serializers.ValidationError(_("Give an agent's id, “me” or “none”."))

    def to_representation(self, value: int | str) -> int | str:
        return value


class TicketFilterSerializer(serializers.Serializer):
    """The list's filters and sort; saved views store exactly these."""

    status = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketStatus.choices),
        required=False,
        max_length=len(TicketStatus.values),
        help_text="Repeat for several statuses (`status=new&status=open`).",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    team = IdField(required=False)
    assignee = AssigneeFilterField(required=False, help_text="An agent's user id, `me` or `none`.")
    category = IdField(required=False)
    tag = serializers.CharField(required=False, max_length=TAG_MAX)
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Of the source conversation."
    )
    sla_at_risk = serializers.BooleanField(
        required=False,
        help_text="Only clocks at risk or breached (`sla_risk=at_risk&sla_risk=breached`).",
    )
    sla_risk = serializers.ListField(
        child=serializers.ChoiceField(choices=[(risk, risk) for risk in SLA_RISKS]),
        required=False,
        max_length=len(SLA_RISKS),
        help_text="Repeat for several: `breached` (past the due time), `at_risk` (inside the "
        "policy's warning share), `on_track`, `none` (no running clock).",
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Search text: the words (Chinese and English) of the subject, description, "
        "replies and notes, the number, the requester's name or external id. With it the answer "
        "is a page of the best `limit` tickets (exact lookups first, then by relevance), each "
        "with a `snippet`; `next_cursor` pages on through the best 300.",
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        help_text="`updated_at` (default) and `created_at` newest first; `priority` most urgent "
        "first; `resolution_due_at` soonest first; `sla_due_at` the running SLA target due soonest "
        "first, tickets without a running clock last.",
    )

    def stored(self) -> dict[str, Any]:
        """The validated filters as JSON, without empty ones (what a saved view keeps)."""
        data = self.validated_data
        return {
            key: value
            for key, value in data.items()
            if not (value is None or value is False or value in ("", []))
            and not (key == "sort" and value == DEFAULT_SORT)
        }


class TicketListQuerySerializer(TicketFilterSerializer):
    cursor = serializers.CharField(required=False, help_text="`next_cursor` of the last page.")
    limit = WholeNumberField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A search's cursor is its page's position (`search_offset`); a list's, the key of
        its last row in the sort."""
        if "cursor" not in attrs or search_cursor_taken(attrs):
            return attrs
        try:
            attrs["cursor"] = decode_cursor(attrs["cursor"], attrs.get("sort", DEFAULT_SORT))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"cursor": exc.detail}) from exc
        return attrs


def list_query(data: dict[str, Any]) -> TicketListQuery:
    return TicketListQuery(
        statuses=list(dict.fromkeys(data.get("status", []))),
        priority=data.get("priority"),
        team_id=data.get("team"),
        assignee=data.get("assignee"),
        category_id=data.get("category"),
        tag=data.get("tag", "").strip(),
        channel=data.get("channel", ""),
        sla_at_risk=data.get("sla_at_risk", False),
        sla_risk=list(dict.fromkeys(data.get("sla_risk", []))),
        q=data.get("q", "").strip(),
        sort=data.get("sort") or DEFAULT_SORT,
    )


# ---- rows ---------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def ticket_row_json(ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """A list row: the summary plus requester, tags, channel, SLA due times and risk."""
    summary = ticket_json(ticket)
    risk = summary["sla"]["risk"] if summary["sla"] else "none"
    return {
        **summary,
        "requester": {"id": ticket.requester_id, "name": ticket.requester.display_name},
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "channel": ticket.conversation.channel if ticket.conversation_id else None,
        "first_response_due_at": _iso(ticket.first_response_due_at),
        "resolution_due_at": _iso(ticket.resolution_due_at),
        "sla_risk": risk,
        "sla_at_risk": risk in ("at_risk", "breached"),
        "snippet": getattr(ticket, "search_snippet", None),
    }


class TicketRowSerializer(TicketSummarySerializer):
    requester = serializers.DictField(help_text="`{id, name}`")
    tags = serializers.ListField(child=serializers.CharField())
    channel = serializers.ChoiceField(choices=Channel.choices, allow_null=True)
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    sla_risk = serializers.ChoiceField(
        choices=[(risk, risk) for risk in SLA_RISKS],
        help_text="The clock's risk now (`sla.risk`, or `none` without a running clock).",
    )
    sla_at_risk = serializers.BooleanField(help_text="`sla_risk` is `at_risk` or `breached`.")
    snippet = serializers.CharField(
        allow_null=True,
        help_text="With `q`: HTML of the ticket's words around the matches, each match in "
        "`<mark>`, everything else escaped (insert it as HTML, no other tag); null without `q` "
        "or when only the number or requester matched.",
    )

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        return ticket_row_json(instance)


class TicketPageSerializer(serializers.Serializer):
    results = TicketRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


# ---- saved views --------------------------------------------------------------------------


class TicketViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=TicketView._meta.get_field("name").max_length)
    filters = serializers.DictField(help_text="The list's query parameters (without paging).")
    position = serializers.IntegerField(read_only=True)

    def to_representation(self, view: TicketView) -> dict[str, Any]:
        return {
            "id": view.pk,
            "name": view.name,
            "filters": view.filters,
            "position": view.position,
        }


# ---- bulk, merge, link --------------------------------------------------------------------


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=BULK_MAX)
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    value = serializers.JSONField(
        allow_null=True,
        help_text="assign: a user id, `me` or null; status: a status; priority: 0-3; tag: a name.",
    )


class BulkResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    code = serializers.CharField(required=False, help_text="Why this ticket was not changed.")

    def to_representation(self, result) -> dict[str, Any]:
        body: dict[str, Any] = {"id": result.id, "ok": result.ok}
        if result.code:
            body["code"] = result.code
        return body


class BulkResultsSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)


class MergeSerializer(serializers.Serializer):
    into = IdField(help_text="The ticket to merge this one into.")


class LinkSerializer(serializers.Serializer):
    other = IdField(help_text="The ticket to relate this one to.")


class LinkResultSerializer(serializers.Serializer):
    linked = serializers.BooleanField(help_text="False: they were related already.")
