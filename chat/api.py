"""The workspace's conversation API under /api/v1/conversations/ (session auth, agents only).

Views parse input, resolve the conversation through the agent's scope (not found and not yours
look the same), call one selector or service, and serialise. Errors use the house shape.
"""

import base64
import binascii
import json
from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services, sla_clocks
from chat.assignment.transfer import conversation_transfer
from chat.attachments import MAX_UPLOAD_BODY, attachment_upload
from chat.models import Channel, Conversation, ConversationStatus
from chat.serializers import (
    AssignSerializer,
    AttachmentSerializer,
    ConversationSummarySerializer,
    InboxPageSerializer,
    InboxRowSerializer,
    MessagePageSerializer,
    MessageSerializer,
    TransferSerializer,
    UploadSerializer,
)
from desk.kernel import ratelimit
from desk.kernel.ids import IdField, WholeNumberField, is_db_int
from desk.kernel.json_input import json_loads
from desk.kernel.paging import CURSOR_UNKNOWN, search_cursor, search_cursor_taken
from routing import selectors as routing_selectors

PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


class IsAgent(BasePermission):
    """Signed in with a workspace profile (agents and supervisors)."""

    message = "Only agents may use the conversation API."

    def has_permission(self, request, view) -> bool:
        if routing_selectors.agent_profile_for_user(request.user) is None:
            raise exceptions.PermissionDenied(_("Only agents may use the conversation API."))
        return True


class AgentView(APIView):
    permission_classes = [*APIView.permission_classes, IsAgent]

    def conversation(self, pk: int) -> Conversation:
        conversation = selectors.conversation_get_for_agent(self.request.user, pk)
        if conversation is None:
            raise exceptions.NotFound(_("No such conversation."))
        return conversation


# ---- cursors ------------------------------------------------------------------------------


def encode_cursor(key: tuple[datetime, int]) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, pk = json_loads(raw)
        moment = parse_datetime(at)
    except (binascii.Error, ValueError, TypeError):
        moment, pk = None, None
    if moment is None or not is_db_int(pk):
        raise serializers.ValidationError(CURSOR_UNKNOWN)
    return moment, pk


class InboxQuerySerializer(serializers.Serializer):
    filter = serializers.ChoiceField(choices=selectors.INBOX_FILTERS, default="all")
    team = IdField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    status = serializers.ChoiceField(
        choices=[selectors.ACTIVE, *ConversationStatus.values],
        required=False,
        help_text="`active` means open or waiting.",
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Search text: the messages' words (Chinese and English), the conversation's "
        "number, the customer's name or external id. With it the answer is a "
        "page of the best `limit` conversations, most relevant first, each with a `snippet`; "
        "`next_cursor` pages on through the best 300.",
    )
    cursor = serializers.CharField(required=False, help_text="`next_cursor` of the last page.")
    limit = WholeNumberField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )

    def validate(self, attrs: dict) -> dict:
        """A search's cursor is its page's position (`search_offset`); the inbox's, the
        `(activity, id)` of its last row."""
        if "cursor" not in attrs or search_cursor_taken(attrs):
            return attrs
        try:
            attrs["cursor"] = decode_cursor(attrs["cursor"])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"cursor": exc.detail}) from exc
        return attrs


# ---- reads --------------------------------------------------------------------------------


class ConversationListView(AgentView):
    @extend_schema(
        parameters=[InboxQuerySerializer],
        responses=InboxPageSerializer,
        operation_id="conversations_list",
        summary="The agent's conversations, newest activity first (keyset pages), or the best "
        "matches of a search",
    )
    def get(self, request: Request) -> Response:
        params = InboxQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        query = selectors.InboxQuery(
            filter=data["filter"],
            team_id=data.get("team"),
            channel=data.get("channel", ""),
            status=data.get("status", ""),
            q=data.get("q", "").strip(),
        )
        if query.q:
            rows, next_offset = selectors.conversations_search(
                request.user, query, limit=data["limit"], offset=data.get("search_offset", 0)
            )
            cursor = search_cursor(next_offset)
        else:
            rows, next_key = selectors.conversations_page(
                selectors.conversations_inbox(request.user, query),
                after=data.get("cursor"),
                limit=data["limit"],
            )
            cursor = encode_cursor(next_key) if next_key else None
        results = InboxRowSerializer(rows, many=True).data
        clocks = sla_clocks.clocks_for(rows)  # in business time, when a row has a clock
        for row in results:
            row["sla"] = clocks.get(row["id"], row["sla"])
        return Response({"results": results, "next_cursor": cursor})


class MessagePageQuerySerializer(serializers.Serializer):
    before_seq = IdField(required=False)
    limit = WholeNumberField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=selectors.PAGE_LIMIT
    )


class ConversationMessagesView(AgentView):
    @extend_schema(
        parameters=[MessagePageQuerySerializer],
        responses=MessagePageSerializer,
        operation_id="conversations_messages",
        summary="A page of history (internal notes included), oldest first",
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        params = MessagePageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit = params.validated_data["limit"]
        found = selectors.messages_before(
            conversation.pk,
            before_seq=params.validated_data.get("before_seq"),
            include_internal=True,
            limit=limit + 1,
        )
        has_more = len(found) > limit
        page = found[1:] if has_more else found
        return Response(
            {
                "results": MessageSerializer(page, many=True).data,
                "has_more": has_more,
                "last_seq": conversation.last_seq,
            }
        )


# ---- writes -------------------------------------------------------------------------------


class ConversationAttachmentsView(AgentView):
    parser_classes = [MultiPartParser]
    max_body_bytes = (
        MAX_UPLOAD_BODY  # larger bodies are refused with 413 (desk/kernel/body_limits.py)
    )

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: AttachmentSerializer},
        operation_id="conversations_attachments_create",
        summary="Upload a file; send it with message.send's attachment_ids",
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        ratelimit.enforce(("upload.agent", request.user.pk))  # 429 before the body is read
        payload = UploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        # A refused file (UploadRejected) is answered by the one error table: 400 with its code.
        attachment = attachment_upload(conversation=conversation, upload=upload, actor=request.user)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class ConversationAttachmentView(AgentView):
    @extend_schema(
        request=None,
        responses={204: None},
        operation_id="conversations_attachments_delete",
        summary="Delete your own upload that no message has taken yet (a removed chip)",
        description="404 `not_found` for anything else: a colleague's or the customer's "
        "upload, one already sent, an unknown id.",
    )
    def delete(self, request: Request, pk: int, attachment_id: int) -> Response:
        conversation = self.conversation(pk)
        if not services.attachment_discard(
            actor=request.user,
            conversations=Conversation.objects.filter(pk=conversation.pk),
            attachment_id=attachment_id,
        ):
            raise exceptions.NotFound(_("No such upload."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationChangeView(AgentView):
    """Base of the header actions: each is one `conversation_update_fields` call."""

    def changes(self, request: Request, conversation: Conversation) -> dict:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        updated = services.conversation_update_fields(
            actor=request.user,
            conversation=conversation,
            changes=self.changes(request, conversation),
        )
        # The agent may no longer see it (transferred away); the answer still says how it ended.
        return Response(ConversationSummarySerializer(updated).data)


class ConversationAssignView(ConversationChangeView):
    @extend_schema(
        request=AssignSerializer,
        responses=ConversationSummarySerializer,
        operation_id="conversations_assign",
        summary="Assign to an agent (yourself or a colleague), or unassign with null",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def changes(self, request, conversation):
        payload = AssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assignee_id = payload.validated_data["assignee_id"]
        if assignee_id is None:
            return {"assignee": None}
        profile = routing_selectors.agent_for_user_id(assignee_id)
        if profile is None:
            raise serializers.ValidationError({"assignee_id": [_("No such agent.")]})
        return {"assignee": profile.user}


class ConversationTransferView(AgentView):
    @extend_schema(
        request=TransferSerializer,
        responses=ConversationSummarySerializer,
        operation_id="conversations_transfer",
        summary="Hand over to a team (its queue routes it) or to an agent, with a note",
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        payload = TransferSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        team = None
        if "team_id" in data:
            team = routing_selectors.teams_active().filter(pk=data["team_id"]).first()
            if team is None:
                raise serializers.ValidationError({"team_id": [_("No such team.")]})
        assignee = None
        if "assignee_id" in data:
            profile = routing_selectors.agent_for_user_id(data["assignee_id"])
            if profile is None:
                raise serializers.ValidationError({"assignee_id": [_("No such agent.")]})
            assignee = profile.user
        updated = conversation_transfer(
            actor=request.user,
            conversation=conversation,
            team=team,
            assignee=assignee,
            note=data.get("note", ""),
        )
        return Response(ConversationSummarySerializer(updated).data)


class ConversationReopenView(ConversationChangeView):
    @extend_schema(
        request=None,
        responses=ConversationSummarySerializer,
        operation_id="conversations_reopen",
        summary="Reopen the conversation",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def changes(self, request, conversation):
        if conversation.status != ConversationStatus.CLOSED:
            return {}
        return {"status": ConversationStatus.OPEN}
