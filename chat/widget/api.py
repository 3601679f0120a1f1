"""The widget's HTTP endpoints under /api/widget/v1/ (no session: the visitor token is the key).

Views parse input, resolve the visitor from the token, call one service or selector, serialise.
A missing or bad token is 403 `invalid_token`; another visitor's conversation or ticket is 404, like
one that does not exist. Errors use the house shape `{"error": {"code", "message"}}`.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import events
from chat.attachments import MAX_UPLOAD_BODY, UploadRejected
from chat.models import WidgetSite, WidgetVisitor
from chat.services import InvalidAttachment
from chat.widget import selectors as widget_selectors
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
from chat.widget.serializers import (
    WidgetAttachmentRequestSerializer,
    WidgetAttachmentSerializer,
    WidgetHistoryQuerySerializer,
    WidgetMenuRequestSerializer,
    WidgetMenuTicketSerializer,
    WidgetMessagePageSerializer,
    WidgetRatingRequestSerializer,
    WidgetSessionRequestSerializer,
    WidgetSessionResponseSerializer,
    WidgetTicketSerializer,
    site_config,
)
from desk.kernel import ratelimit
from desk.kernel.api_errors import ApiError
from desk.kernel.json_input import JsonParser
from routing.selectors import team_has_agent_online
from tickets.customer_services import ticket_rate
from tickets.errors import TicketError
from tickets.models import Ticket
from tickets.sources.menu import selectors as menu_selectors
from tickets.sources.menu import services as menu_services

TOKEN_HEADER = "X-Visitor-Token"  # noqa: S105 (a header name)
TOKEN_PARAMETER = OpenApiParameter(
    TOKEN_HEADER, str, OpenApiParameter.HEADER, description="The visitor token."
)


class WidgetView(APIView):
    """Open to any browser: the visitor token, not a session, says who is asking."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def visitor(self, request: Request, *, form_token: object = None) -> WidgetVisitor:
        token = request.headers.get(TOKEN_HEADER) or form_token
        visitor = widget_sessions.visitor_from_token(token)
        if visitor is None:
            raise ApiError(403, "invalid_token", _("The visitor token is missing or not valid."))
        return visitor


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class SessionView(WidgetView):
    parser_classes = [JsonParser]

    @extend_schema(
        request=WidgetSessionRequestSerializer,
        responses=WidgetSessionResponseSerializer,
        summary="Start or resume a widget visitor",
        description=(
            "Anonymous visitors get a new customer, or the one their `visitor_token` names. "
            "Signed-in users of the site are identified by `user` + `user_hash` (hex "
            "HMAC-SHA256 of the user id with the site secret); a wrong or missing hash where "
            "required is 403 `identity_invalid`. `prechat` answers start the first "
            "conversation. `agents_online` false: leave-a-message mode. See docs/api.md."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = WidgetSessionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        site = WidgetSite.objects.filter(key=data["site"], is_active=True).first()
        if site is None:
            raise exceptions.NotFound(_("No such widget site."))
        user = data.get("user")
        try:
            session = widget_sessions.widget_session_open(
                site=site,
                token=data.get("visitor_token", ""),
                user=widget_sessions.SiteUser(**user) if user else None,
                given_hash=data.get("user_hash", ""),
                context=data.get("context") or {},
                prechat=data.get("prechat"),
                ip_address=_client_ip(request),
            )
        except widget_sessions.IdentityInvalid as exc:
            raise ApiError(403, "identity_invalid", str(exc)) from exc
        except widget_sessions.PrechatInvalid as exc:
            raise serializers.ValidationError({"prechat": exc.errors}) from exc
        conversation = session.conversation
        return Response(
            {
                "visitor_token": session.token,
                "token_expires_in": widget_sessions.TOKEN_MAX_AGE,
                "resumed": session.resumed,
                "customer": {"name": session.visitor.customer.display_name},
                "conversation": events.customer_conversation_json(conversation)
                if conversation
                else None,
                "prechat_pending": session.prechat_pending,
                "agents_online": team_has_agent_online(team_id=site.team_id),
                "site": site_config(site),
            }
        )


class SignOutView(WidgetView):
    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[TOKEN_PARAMETER],
        summary="Sign the visitor out: revoke every token of this visitor",
        description=(
            "The host page's sign-out (`Unidesk.signOut()`). Every token of the visitor stops "
            "working at once (API 403 `invalid_token`, sockets closed with 4403); the next "
            "session starts a new visitor. A token up to a year old may sign out; a bad or "
            "already revoked one is 403 `invalid_token`."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        visitor = widget_sessions.visitor_from_token(
            request.headers.get(TOKEN_HEADER), max_age=widget_sessions.RESUME_MAX_AGE
        )
        if visitor is None:
            raise ApiError(403, "invalid_token", _("The visitor token is missing or not valid."))
        widget_sessions.widget_visitor_sign_out(actor=visitor, visitor=visitor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentView(WidgetView):
    parser_classes = [MultiPartParser, FormParser]
    max_body_bytes = (
        MAX_UPLOAD_BODY  # larger bodies are refused with 413 (desk/kernel/body_limits.py)
    )

    @extend_schema(
        request={"multipart/form-data": WidgetAttachmentRequestSerializer},
        responses={201: WidgetAttachmentSerializer},
        parameters=[TOKEN_PARAMETER],
        summary="Upload a file for the visitor's next message",
        description=(
            "Stored in the visitor's open conversation (started if none). 400 "
            "`unsupported_type`, `file_too_large`, `type_mismatch`, `empty_file`, "
            "`prechat_required`; 403 `invalid_token`; 413 `payload_too_large`."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        visitor = self.visitor(request, form_token=request.data.get("token"))
        ratelimit.enforce(("upload.visitor", visitor.pk))
        payload = WidgetAttachmentRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            attachment = widget_services.widget_attachment_upload(
                visitor=visitor, upload=payload.validated_data["file"]
            )
        except UploadRejected as exc:
            raise ApiError(400, exc.code, exc.message) from exc
        except widget_services.PrechatRequired as exc:
            raise ApiError(400, "prechat_required", _("Fill in the form first.")) from exc
        except InvalidAttachment as exc:  # pragma: no cover - defensive
            raise ApiError(400, "invalid_attachment", str(exc)) from exc
        return Response(events.attachment_json(attachment), status=status.HTTP_201_CREATED)


class AttachmentDiscardView(WidgetView):
    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[TOKEN_PARAMETER],
        summary="Delete the visitor's own upload that no message has taken yet",
        description=(
            "204 when deleted (the file too). 404 `not_found` for anything else: an agent's "
            "or another visitor's upload, one already sent, an unknown id; 403 "
            "`invalid_token`."
        ),
        tags=["widget"],
        auth=[],
    )
    def delete(self, request: Request, pk: int) -> Response:
        visitor = self.visitor(request)
        if not widget_services.widget_attachment_discard(visitor=visitor, attachment_id=pk):
            raise ApiError(404, "not_found", _("No such upload."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessagesView(WidgetView):
    @extend_schema(
        parameters=[
            TOKEN_PARAMETER,
            OpenApiParameter("before_seq", int, description="Messages before this seq."),
        ],
        responses=WidgetMessagePageSerializer,
        summary="A page of the visitor's conversation history",
        description=(
            "Only the token's own conversations (others are 404). The latest page without "
            "`before_seq`; `last_seq` is the cursor to resume the socket from."
        ),
        tags=["widget"],
        auth=[],
    )
    def get(self, request: Request, pk: int) -> Response:
        visitor = self.visitor(request)
        query = WidgetHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = widget_selectors.visitor_messages_before(
            visitor, pk, before_seq=query.validated_data.get("before_seq")
        )
        if page is None:
            raise exceptions.NotFound(_("No such conversation."))
        return Response(
            {
                "conversation_id": page.conversation_id,
                "messages": page.messages,
                "last_seq": page.last_seq,
                "has_more": page.has_more,
            }
        )


# A refused rating: the status per TicketError code (anything else is 400).
RATING_STATUS = {"not_rateable": 409, "already_rated": 409, "not_requester": 404}


class VisitorTicketView(WidgetView):
    def ticket(self, request: Request, pk: int) -> Ticket:
        ticket = widget_selectors.visitor_ticket(self.visitor(request), pk)
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
        return Response(widget_selectors.visitor_ticket_json(self.ticket(request, pk)))


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
        try:
            rated = ticket_rate(
                ticket=ticket,
                customer=ticket.requester,
                score=data["score"],
                comment=data["comment"],
            )
        except TicketError as exc:
            code = "not_found" if exc.code == "not_requester" else exc.code
            raise ApiError(RATING_STATUS.get(exc.code, 400), code, exc.message) from exc
        return Response(widget_selectors.visitor_ticket_json(rated))


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
        try:
            ticket = menu_services.ticket_create_from_menu(
                visitor=visitor, option=option, answers=payload.validated_data["answers"]
            )
        except menu_services.MenuAnswersInvalid as exc:
            raise serializers.ValidationError({"answers": exc.errors}) from exc
        except widget_services.PrechatRequired as exc:
            raise ApiError(400, "prechat_required", _("Fill in the form first.")) from exc
        return Response(
            {
                "ticket_id": ticket.pk,
                "number": ticket.number,
                "status": ticket.status,
                "conversation_id": ticket.conversation_id,
            },
            status=status.HTTP_201_CREATED,
        )
