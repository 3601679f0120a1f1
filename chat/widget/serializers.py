"""What the widget endpoints accept and return (docs/api.md, "Widget")."""

from typing import Any

from rest_framework import serializers

from chat.models import WidgetSite
from chat.widget.extensions import site_config_parts
from chat.widget.sessions import CONTEXT_LIMITS, PRECHAT_LIMITS
from desk.kernel.ids import IdField


class _Text(serializers.CharField):
    """Text cut to a size instead of refused (context is what the browser reports)."""

    def __init__(self, limit: int, **kwargs):
        self.limit = limit
        super().__init__(required=False, allow_blank=True, trim_whitespace=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)[: self.limit]


class WidgetContextSerializer(serializers.Serializer):
    """Where the visitor is; strings only, each cut to its size."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # The widget's context fields and their sizes (chat/context.py, chat/widget/sessions.py).
        return {name: _Text(limit) for name, limit in CONTEXT_LIMITS.items()}


class WidgetSiteUserSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)

    def to_internal_value(self, data: Any) -> dict:
        if isinstance(data, dict) and isinstance(data.get("id"), int):
            data = {**data, "id": str(data["id"])}
        return super().to_internal_value(data)

    def validate_attributes(self, value: dict) -> dict:
        if len(value) > 50 or len(repr(value)) > 5000:
            raise serializers.ValidationError("At most 50 attributes and 5000 characters.")
        return value


class WidgetPrechatSerializer(serializers.Serializer):
    """Checked against the site's form by the service (which fields, which required)."""

    name = serializers.CharField(
        max_length=PRECHAT_LIMITS["name"], required=False, allow_blank=True
    )
    email = serializers.CharField(
        max_length=PRECHAT_LIMITS["email"], required=False, allow_blank=True
    )
    phone = serializers.CharField(
        max_length=PRECHAT_LIMITS["phone"], required=False, allow_blank=True
    )
    topic = serializers.CharField(
        max_length=PRECHAT_LIMITS["topic"], required=False, allow_blank=True
    )


class WidgetSessionRequestSerializer(serializers.Serializer):
    site = serializers.SlugField(max_length=50)
    visitor_token = serializers.CharField(max_length=500, required=False, allow_blank=True)
    user = WidgetSiteUserSerializer(required=False, allow_null=True)
    user_hash = serializers.CharField(max_length=128, required=False, allow_blank=True)
    context = WidgetContextSerializer(required=False)
    prechat = WidgetPrechatSerializer(required=False, allow_null=True)


class WidgetPrechatFieldSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=["name", "email", "phone", "topic"])
    required = serializers.BooleanField()


class WidgetPrechatFormSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    fields = WidgetPrechatFieldSerializer(many=True)
    topics = serializers.ListField(child=serializers.CharField())


class WidgetSiteConfigSerializer(serializers.Serializer):
    """The public part of a site: never its secret, team or allowed origins."""

    key = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()
    theme_color = serializers.CharField()
    welcome = serializers.DictField(child=serializers.CharField())
    prechat = WidgetPrechatFormSerializer()
    require_identity = serializers.BooleanField()
    offline_tickets = serializers.BooleanField(
        help_text="Leave-a-message mode: with no agent online, a first message becomes a ticket."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        """The built-in keys, then those the apps above chat add (chat/widget/extensions.py)."""
        fields = super().get_fields()
        for part in site_config_parts():
            fields[part.key] = part.field()
        return fields


def site_config(site: WidgetSite) -> dict[str, Any]:
    modes = site.prechat_modes()
    return {
        "key": site.key,
        "name": site.name,
        "language": site.language,
        "theme_color": site.theme_color,
        "welcome": {"zh-hans": site.welcome_zh, "en": site.welcome_en},
        "prechat": {
            "enabled": site.prechat_enabled,
            "fields": [{"name": n, "required": m == "required"} for n, m in modes.items()],
            "topics": site.topic_list(),
        },
        "require_identity": site.require_identity,
        "offline_tickets": site.offline_tickets,
        **{part.key: part.build(site) for part in site_config_parts()},
    }


class WidgetAssigneeSerializer(serializers.Serializer):
    name = serializers.CharField()
    avatar_url = serializers.CharField()


class WidgetConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    subject = serializers.CharField()
    last_seq = serializers.IntegerField()
    assignee = WidgetAssigneeSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class WidgetCustomerNameSerializer(serializers.Serializer):
    name = serializers.CharField()


class WidgetSessionResponseSerializer(serializers.Serializer):
    visitor_token = serializers.CharField(
        help_text="Opens the socket and the API for `token_expires_in` seconds; the session "
        "endpoint renews it (same visitor) for a year unless the visitor signed out."
    )
    token_expires_in = serializers.IntegerField()
    resumed = serializers.BooleanField(
        help_text="The `visitor_token` sent names this same visitor (false: a new or other one)."
    )
    customer = WidgetCustomerNameSerializer()
    conversation = WidgetConversationSerializer(allow_null=True)
    prechat_pending = serializers.BooleanField()
    agents_online = serializers.BooleanField(
        help_text="Whether an agent of the site's team (any agent without a team) is online."
    )
    site = WidgetSiteConfigSerializer()


class WidgetAttachmentRequestSerializer(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="or the X-Visitor-Token header")
    file = serializers.FileField(allow_empty_file=True)


class WidgetAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class WidgetMessageSenderSerializer(serializers.Serializer):
    name = serializers.CharField()
    avatar_url = serializers.CharField()


class WidgetMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender_type = serializers.CharField()
    sender = WidgetMessageSenderSerializer(allow_null=True)
    content_type = serializers.CharField()
    body = serializers.CharField()
    payload = serializers.DictField()
    client_msg_id = serializers.CharField(
        allow_blank=True, help_text="The visitor's own id for its messages; empty on others."
    )
    attachments = WidgetAttachmentSerializer(many=True)
    delivery_state = serializers.CharField()
    created_at = serializers.DateTimeField()


class WidgetMessagePageSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    messages = WidgetMessageSerializer(many=True)
    last_seq = serializers.IntegerField()
    has_more = serializers.BooleanField()


class WidgetHistoryQuerySerializer(serializers.Serializer):
    before_seq = IdField(required=False)
