"""The widget's HTTP endpoints under /api/widget/v1/ (no session: the visitor token is the key).

`WidgetView` is how every widget endpoint authenticates, here and in the apps above chat (the
ticket, rating and menu endpoints are tickets': tickets/widget/api.py), through the web
channel's adapter: `chat.adapters.web.web_adapter.verify`.

Views parse input, resolve the visitor from the token, call one service or selector, serialise.
A missing or bad token is 403 `invalid_token`; another visitor's conversation or ticket is 404, like
one that does not exist. Errors use the house shape `{"error": {"code", "message"}}`.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import events
from chat.adapters.web import web_adapter
from chat.attachments import MAX_UPLOAD_BODY
from chat.models import WidgetSite, WidgetVisitor
from chat.widget import selectors as widget_selectors
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
from chat.widget.serializers import (
    WidgetAttachmentRequestSerializer,
    WidgetAttachmentSerializer,
    WidgetHistoryQuerySerializer,
    WidgetMessagePageSerializer,
    WidgetSessionRequestSerializer,
    WidgetSessionResponseSerializer,
    site_config,
)
from desk.kernel import ratelimit
from desk.kernel.api_errors import ApiError
from desk.kernel.json_input import JsonParser
from routing.selectors import team_has_agent_online

TOKEN_HEADER = "X-Visitor-Token"  # noqa: S105 (a header name)
TOKEN_PARAMETER = OpenApiParameter(
    TOKEN_HEADER, str, OpenApiParameter.HEADER, description="The visitor token."
)


class WidgetView(APIView):
    """Open to any browser: the visitor token, not a session, says who is asking."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def visitor(self, request: Request, *, form_token: object = None) -> WidgetVisitor:
        """The token's visitor; `InvalidToken` (403 `invalid_token`) answers for itself."""
        return web_adapter.verify(request.headers.get(TOKEN_HEADER) or form_token)


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
        # Refusals (IdentityInvalid 403, PrechatInvalid 400 `invalid`) answer for themselves
        # (desk/kernel/errors.py).
        session = widget_sessions.widget_session_open(
            site=site,
            token=data.get("visitor_token", ""),
            user=widget_sessions.SiteUser(**user) if user else None,
            given_hash=data.get("user_hash", ""),
            context=data.get("context") or {},
            prechat=data.get("prechat"),
            ip_address=_client_ip(request),
        )
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
        visitor = web_adapter.verify(
            request.headers.get(TOKEN_HEADER), max_age=widget_sessions.RESUME_MAX_AGE
        )
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
        # Refusals (UploadRejected, PrechatRequired) are answered by the one error table.
        attachment = widget_services.widget_attachment_upload(
            visitor=visitor, upload=payload.validated_data["file"]
        )
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
