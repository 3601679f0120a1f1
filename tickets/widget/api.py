"""The widget's ticket endpoints under /api/widget/v1/ (no session: the visitor token is the key):
a ticket's state, its rating (CSAT) and the menu's answers (转工单 way 3).

They authenticate like every widget endpoint (`WidgetView`, chat/widget/api.py): a missing or bad
token is 403 `invalid_token`; another visitor's ticket or another site's option is 404, like one
that does not exist. Errors use the house shape `{"error": {"code", "message"}}`.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from chat.widget.api import TOKEN_PARAMETER, WidgetView
from desk.kernel.api_errors import ApiError
from desk.kernel.json_input import JsonParser
from tickets.customer_services import ticket_rate
from tickets.models import Ticket
from tickets.sources.menu import selectors as menu_selectors
from tickets.sources.menu import services as menu_services
from tickets.widget import selectors
from tickets.widget.serializers import (
    WidgetMenuRequestSerializer,
    WidgetMenuTicketSerializer,
    WidgetRatingRequestSerializer,
    WidgetTicketSerializer,
)


class VisitorTicketView(WidgetView):
    def ticket(self, request: Request, pk: int) -> Ticket:
        ticket = selectors.visitor_ticket(self.visitor(request), pk)
        if ticket is None:
            raise ApiError(404, "not_found", _("No such ticket."))
        return ticket


class TicketView(VisitorTicketView):
    @extend_schema(
        parameters=[TOKEN_PARAMETER],
        responses=WidgetTicketSerializer,
        summary="A ticket of the visitor: its status and whether it is rated",
        description=(
            "Only tickets made from the token's own conversations (others are 404 "
            "`not_found`). The widget asks before offering the rating of a resolved ticket."
        ),
        tags=["widget"],
        auth=[],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.visitor_ticket_json(self.ticket(request, pk)))


class RatingView(VisitorTicketView):
    parser_classes = [JsonParser]

    @extend_schema(
        parameters=[TOKEN_PARAMETER],
        request=WidgetRatingRequestSerializer,
        responses={200: WidgetTicketSerializer},
        summary="Rate a resolved ticket (CSAT, once)",
        description=(
            "The requester rates a resolved or closed ticket 1–5 with an optional comment. "
            "400 `invalid_score`; 409 `not_rateable` (not resolved or closed), "
            "`already_rated`; 404 `not_found` (not the visitor's ticket)."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = self.ticket(request, pk)
        payload = WidgetRatingRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # A refusal (TicketError) answers for itself: 409 `not_rateable`/`already_rated`, 404
        # `not_found` for another customer's ticket, else 400 (tickets/errors.py).
        rated = ticket_rate(
            ticket=ticket,
            customer=ticket.requester,
            score=data["score"],
            comment=data["comment"],
        )
        return Response(selectors.visitor_ticket_json(rated))


class MenuView(WidgetView):
    parser_classes = [JsonParser]

    @extend_schema(
        parameters=[TOKEN_PARAMETER],
        request=WidgetMenuRequestSerializer,
        responses={201: WidgetMenuTicketSerializer},
        summary="Answer a menu option: the answers become a ticket (转工单)",
        description=(
            "The answers go into the visitor's open conversation (started if none) as the "
            "visitor's message, and a ticket (source `menu`) is made with the option's "
            "category, priority, team and tags; the chat shows its card. 400 `invalid` with "
            "`fields.answers.<key>` (required, not one of the choices, over 1000 characters, "
            "unknown key), `prechat_required`; 403 `invalid_token`; 404 `not_found` (an "
            "inactive option or another site's)."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request, pk: int) -> Response:
        visitor = self.visitor(request)
        option = menu_selectors.visitor_menu_option(visitor, pk)
        if option is None:
            raise ApiError(404, "not_found", _("No such menu option."))
        payload = WidgetMenuRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # Refusals (MenuAnswersInvalid, PrechatRequired) are answered by the one error table.
        ticket = menu_services.ticket_create_from_menu(
            visitor=visitor, option=option, answers=payload.validated_data["answers"]
        )
        return Response(
            {
                "ticket_id": ticket.pk,
                "number": ticket.number,
                "status": ticket.status,
                "conversation_id": ticket.conversation_id,
            },
            status=status.HTTP_201_CREATED,
        )
