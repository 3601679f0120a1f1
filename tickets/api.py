"""The agent ticket API (session auth, agents only): 转工单 from a conversation, and working a
ticket (detail with timeline, field changes, replies and notes); and the conversation endpoints
that show or make tickets (the detail with the customer panel, the customer panel on its own, close
as unresolved), which chat, below tickets, cannot serve.

Views parse input, resolve the conversation or ticket through the agent's scope (not found and
not yours look the same), call one selector or service, and serialise. Service refusals
(TicketError) answer for themselves in the house error shape: 409 for a state that forbids the
change, 400 otherwise (tickets/errors.py, desk/kernel/errors.py).
"""

import zoneinfo
from datetime import tzinfo
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from chat import sla_clocks
from chat.api import AgentView, ConversationChangeView
from chat.models import ConversationStatus
from chat.serializers import (
    CloseSerializer,
    ConversationDetailSerializer,
    ConversationSummarySerializer,
    CustomerDetailSerializer,
)
from desk.kernel import ratelimit
from routing import selectors as routing_selectors
from tickets import selectors, services
from tickets.assist.llm import summary_with_source
from tickets.category_suggestion import suggested_category
from tickets.field_changes import CustomFieldsPatch
from tickets.models import Ticket, TicketSource
from tickets.serializers import (
    TicketCreatedSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketDraftSerializer,
    TicketEventSerializer,
    TicketReplyResultSerializer,
    TicketReplySerializer,
    TicketUpdateSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="Invalid fields (`invalid`) or a refused value."),
    404: OpenApiResponse(description="No such conversation/ticket, or not yours."),
}


def _team(pk: int | None, field: str = "team_id"):
    if pk is None:
        return None
    team = routing_selectors.teams_active().filter(pk=pk).first()
    if team is None:
        raise serializers.ValidationError({field: [_("No such team.")]})
    return team


def _category(pk: int | None):
    if pk is None:
        return None
    category = selectors.categories_active().filter(pk=pk).first()
    if category is None:
        raise serializers.ValidationError({"category_id": [_("No such category.")]})
    return category


def _assignee(pk: int | None):
    if pk is None:
        return None
    profile = routing_selectors.agent_for_user_id(pk)
    if profile is None:
        raise serializers.ValidationError({"assignee_id": [_("No such agent.")]})
    return profile.user


class TicketView(AgentView):
    def ticket(self, pk: int) -> Ticket:
        ticket = selectors.ticket_get_for_agent(self.request.user, pk)
        if ticket is None:
            raise exceptions.NotFound(_("No such ticket."))
        return ticket


def _time_zone(name: str | None) -> tzinfo | None:
    """The reader's IANA time zone (`?tz=Europe/Berlin`), None when not given."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise serializers.ValidationError({"tz": [_("Unknown time zone.")]}) from None


class ConversationTicketDraftView(AgentView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "tz",
                str,
                description="The reader's IANA time zone (Asia/Shanghai): the transcript's times "
                "are in it. Default: the site's.",
            )
        ],
        responses={200: TicketDraftSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        operation_id="conversations_ticket_draft",
        summary="What the 转工单 form starts with, and the conversation's open ticket",
    )
    def get(self, request: Request, pk: int) -> Response:
        zone = _time_zone(request.query_params.get("tz"))
        conversation = self.conversation(pk)
        summary, summary_source = summary_with_source(conversation)
        payload = {
            "prefill": selectors.ticket_prefill_from_conversation(conversation, zone=zone),
            "open_ticket": selectors.conversation_open_ticket(conversation),
            "suggestion": suggested_category(conversation),
            "summary": summary,
            "summary_source": summary_source,
        }
        return Response(TicketDraftSerializer(payload).data)


class ConversationTicketsView(AgentView):
    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketCreatedSerializer, 200: TicketCreatedSerializer, **ERRORS},
        operation_id="conversations_tickets_create",
        summary="转工单: turn the conversation into a ticket (at most one open one by default)",
        description=(
            "201 with the new ticket; 200 with `created: false` and the conversation's open "
            "ticket when it has one and `allow_additional` is not true."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        payload = TicketCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        ticket_data = services.TicketData(
            subject=data["subject"],
            description=data["description"],
            priority=data["priority"],
            team=_team(data.get("team_id")),
            category=_category(data.get("category_id")),
            tags=list(dict.fromkeys(tag.strip() for tag in data.get("tags", []) if tag.strip())),
            custom_fields=data.get("custom_fields", {}),
        )
        result = services.ticket_create_from_conversation(
            actor=request.user,
            conversation=conversation,
            data=ticket_data,
            allow_additional=data["allow_additional"],
            source=TicketSource.BUTTON,
        )
        body = TicketCreatedSerializer({"created": result.created, "ticket": result.ticket}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


class TicketDetailView(TicketView):
    @extend_schema(
        responses={200: TicketDetailSerializer, 404: ERRORS[404]},
        operation_id="tickets_detail",
        summary="One ticket with its timeline (events of tickets merged into it included)",
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = self.ticket(pk)
        return Response(self.detail(ticket))

    def detail(self, ticket: Ticket) -> dict[str, Any]:
        timeline = selectors.ticket_timeline(ticket)
        return TicketDetailSerializer({"ticket": ticket, "timeline": timeline}).data

    @extend_schema(
        request=TicketUpdateSerializer,
        responses={
            200: TicketDetailSerializer,
            **ERRORS,
            409: OpenApiResponse(
                description="`invalid_transition` or `ticket_merged`: nothing was changed."
            ),
        },
        operation_id="tickets_update",
        summary="Change status, priority, assignee, team, category, subject, tags or custom fields",
    )
    def patch(self, request: Request, pk: int) -> Response:
        ticket = self.ticket(pk)
        payload = TicketUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        changes: dict[str, Any] = {
            name: data[name] for name in ("status", "priority") if name in data
        }
        if "subject" in data:
            subject = data["subject"].strip()
            if not subject:
                raise serializers.ValidationError({"subject": [_("The subject is empty.")]})
            changes["subject"] = subject
        if "assignee_id" in data:
            changes["assignee"] = _assignee(data["assignee_id"])
        if "team_id" in data:
            changes["team"] = _team(data["team_id"])
        if "category_id" in data:
            changes["category"] = _category(data["category_id"])
        if "tags" in data:
            changes["tags"] = data["tags"]
        if "custom_fields" in data:
            changes["custom_fields"] = CustomFieldsPatch(data["custom_fields"])
        # A refusal (TicketError) answers for itself: 409 or 400 (tickets/errors.py).
        updated = services.ticket_update_fields(actor=request.user, ticket=ticket, changes=changes)
        # The agent may no longer see it (moved to another team); the answer still says how.
        return Response(self.detail(updated))


class TicketRepliesView(TicketView):
    @extend_schema(
        request=TicketReplySerializer,
        responses={
            201: TicketReplyResultSerializer,
            **ERRORS,
            409: OpenApiResponse(
                description="`ticket_closed`: a closed ticket takes notes only. "
                "`chat_out_of_scope`: a public reply would go into a chat the agent cannot read."
            ),
        },
        operation_id="tickets_replies_create",
        summary="A public reply (sent to the customer's chat) or an internal note",
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = self.ticket(pk)
        payload = TicketReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not payload.validated_data["internal"]:  # a public reply is a chat message too
            ratelimit.enforce(("message.agent", request.user.pk))
        reply = services.ticket_reply(
            actor=request.user,
            ticket=ticket,
            body=payload.validated_data["body"],
            internal=payload.validated_data["internal"],
        )
        body = {
            "event": TicketEventSerializer(reply.event).data,
            "message_id": reply.message.pk if reply.message else None,
        }
        return Response(body, status=status.HTTP_201_CREATED)


# ---- conversation endpoints that show or make tickets (tickets is above chat) -------------


class ConversationDetailView(AgentView):
    @extend_schema(
        responses=ConversationDetailSerializer,
        operation_id="conversations_detail",
        summary="One conversation with the customer panel (identities, context, history)",
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        past, tickets = selectors.customer_history_for_agent(
            request.user, conversation.customer_id, exclude_conversation_id=conversation.pk
        )
        payload = {"conversation": conversation, "previous_conversations": past, "tickets": tickets}
        data = ConversationDetailSerializer(payload).data
        data["sla"] = sla_clocks.clocks_for([conversation]).get(conversation.pk, data["sla"])
        return Response(data)


class CustomerDetailView(AgentView):
    @extend_schema(
        responses=CustomerDetailSerializer,
        operation_id="customers_detail",
        summary="One customer with the customer panel (identities, context, history)",
        description="404 when the customer does not exist or you see none of its conversations "
        "and tickets.",
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = selectors.customer_get_for_agent(request.user, pk)
        if customer is None:
            raise exceptions.NotFound(_("No such customer."))
        conversations, tickets = selectors.customer_history_for_agent(request.user, customer.pk)
        payload = {"customer": customer, "conversations": conversations, "tickets": tickets}
        return Response(CustomerDetailSerializer(payload).data)


class ConversationCloseView(ConversationChangeView):
    @extend_schema(
        request=CloseSerializer,
        responses=ConversationSummarySerializer,
        operation_id="conversations_close",
        summary="Close the conversation; `unresolved` also turns it into a ticket",
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not payload.validated_data["unresolved"]:
            return super().post(request, pk)
        closed = services.conversation_close_unresolved(
            actor=request.user, conversation=self.conversation(pk)
        )
        return Response(ConversationSummarySerializer(closed).data)

    def changes(self, request, conversation):
        return {"status": ConversationStatus.CLOSED}
