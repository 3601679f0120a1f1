"""The bell's API: `GET /api/v1/notifications/` and `POST /api/v1/notifications/read/`
(session auth, agents only, each agent sees and marks only their own)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView, decode_cursor, encode_cursor
from desk.kernel.ids import IdField, WholeNumberField
from desk.notifications import selectors as notification_selectors
from desk.notifications import services as notifications
from desk.notifications.models import Notification, NotificationKind
from tickets.models import TicketSource

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
READ_IDS_MAX = 100


class NotificationTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    source = serializers.ChoiceField(
        choices=TicketSource.choices, help_text="How it came to be (the actor when there is none)."
    )


class NotificationActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null for a customer or the system.")
    name = serializers.CharField(help_text="As they were called when it happened.")


class NotificationSerializer(serializers.Serializer):
    """One notification, as listed and as the `notification` event carries it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    ticket = NotificationTicketSerializer(allow_null=True)
    conversation_id = serializers.IntegerField(allow_null=True)
    actor = NotificationActorSerializer()
    excerpt = serializers.CharField(help_text="At most 200 characters, on one line.")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        return notifications.notification_json(instance)


class NotificationPageSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    unread = serializers.IntegerField(help_text="How many of the agent's notifications are unread.")


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="Unread ones only.")
    cursor = serializers.CharField(required=False, help_text="`next_cursor` of the last page.")
    limit = WholeNumberField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )

    def validate_cursor(self, value: str):
        return decode_cursor(value)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=IdField(),
        required=False,
        min_length=1,
        max_length=READ_IDS_MAX,
        help_text="Notifications to mark read; ids that are not yours are ignored.",
    )
    all = serializers.BooleanField(required=False, help_text="True: mark every one read.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        everything = attrs.get("all")
        if ("ids" in attrs) == bool(everything):
            raise serializers.ValidationError(_('Give either "ids" or "all": true.'))
        return attrs


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
    unread = serializers.IntegerField()


class NotificationListView(AgentView):
    @extend_schema(
        parameters=[NotificationQuerySerializer],
        responses=NotificationPageSerializer,
        operation_id="notifications_list",
        summary="My notifications, newest first (keyset pages), and how many are unread",
    )
    def get(self, request: Request) -> Response:
        params = NotificationQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        rows, next_key = notification_selectors.notifications_page(
            request.user, after=data.get("cursor"), limit=data["limit"], unread_only=data["unread"]
        )
        return Response(
            {
                "results": NotificationSerializer(rows, many=True).data,
                "next_cursor": encode_cursor(next_key) if next_key else None,
                "unread": notifications.unread_count(request.user.pk),
            }
        )


class NotificationReadView(AgentView):
    @extend_schema(
        request=MarkReadSerializer,
        responses={
            200: MarkReadResultSerializer,
            400: OpenApiResponse(
                description="Neither or both of `ids` and `all`; nothing changed."
            ),
        },
        operation_id="notifications_read",
        summary="Mark some (`ids`) or all (`all: true`) of my notifications read",
    )
    def post(self, request: Request) -> Response:
        payload = MarkReadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        marked = notifications.notifications_mark_read(
            user=request.user, ids=data.get("ids"), everything=bool(data.get("all"))
        )
        return Response({"marked": marked, "unread": notifications.unread_count(request.user.pk)})
