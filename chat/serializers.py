"""The workspace's conversation API shapes.

Output is built by the same functions that build the socket events (`chat.events`), so a row
from the API and a pushed summary always agree; the declared fields document it (OpenAPI).
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from chat import context as context_fields
from chat import events
from chat.models import Channel, Conversation, ConversationStatus, Customer, IdentityKind
from desk.kernel.ids import IdField


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class _Named(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CustomerSummarySerializer(_Named):
    vip_level = serializers.IntegerField()


class ConversationAssistSerializer(serializers.Serializer):
    """Offline assistance (issue 13): kept after each customer message."""

    category = serializers.CharField(help_text='The detected ticket category\'s name, or "".')
    confidence = serializers.FloatField(allow_null=True, help_text="0–1, null when none.")
    urgent = serializers.BooleanField()
    angry = serializers.BooleanField()
    words = serializers.ListField(
        child=serializers.CharField(), help_text="What made it urgent or angry (投诉, ASAP, !!!)."
    )


class ConversationSummarySerializer(serializers.Serializer):
    """The conversation as the inbox and the `conversation.update` event show it."""

    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=ConversationStatus.choices)
    priority = serializers.IntegerField()
    subject = serializers.CharField()
    customer = CustomerSummarySerializer()
    assignee = _Named(allow_null=True)
    team = _Named(allow_null=True)
    last_seq = serializers.IntegerField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    unread_by_agent = serializers.IntegerField()
    unread_by_customer = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    sla = serializers.JSONField(
        allow_null=True,
        help_text="The first-response SLA clock of the customer's current wait (docs/api.md, "
        '"The SLA clock"; `target` is `first_response`), or null while nobody waits, without '
        "a policy, or once closed. The inbox list and the conversation's detail give it in "
        "full; pushed summaries without `left_seconds` and `open_spans`.",
    )

    assist = ConversationAssistSerializer()

    def to_representation(self, instance):
        return events.conversation_json(instance)


class LastMessageSerializer(serializers.Serializer):
    body = serializers.CharField()
    content_type = serializers.CharField()
    sender_type = serializers.CharField()
    sender = _Named(allow_null=True, help_text="The agent who wrote it (null for others).")


class InboxRowSerializer(ConversationSummarySerializer):
    """A row of the inbox: the summary, the last public message and since when the customer
    has been waiting for an answer (null when the last word was the agent's)."""

    last_message = LastMessageSerializer(allow_null=True)
    waiting_since = serializers.DateTimeField(allow_null=True)
    snippet = serializers.CharField(
        allow_null=True,
        help_text="With `q`: HTML of the best matching message's words around the matches, "
        "each match in `<mark>`, everything else escaped (insert it as HTML, no other tag); "
        "null without `q` or when only the number, customer or subject matched.",
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        last = None
        if instance.last_content_type is not None:
            last = {
                "body": instance.last_body,
                "content_type": instance.last_content_type,
                "sender_type": instance.last_sender_type,
                "sender": None,
            }
            if instance.last_sender_id is not None:
                last["sender"] = {"id": instance.last_sender_id, "name": instance.last_sender_name}
        data["last_message"] = last
        data["waiting_since"] = _iso(instance.waiting_since)
        data["snippet"] = getattr(instance, "search_snippet", None)
        return data


class InboxPageSerializer(serializers.Serializer):
    results = InboxRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class IdentitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentityKind.choices)
    kind_label = serializers.CharField()
    external_id = serializers.CharField()
    verified = serializers.BooleanField()


class CustomerPanelSerializer(CustomerSummarySerializer):
    language = serializers.CharField()
    attributes = serializers.DictField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    identities = IdentitySerializer(many=True)


class ContextSerializer(serializers.Serializer):
    # The conversation's context fields (chat/context.py) and its IP address.
    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = {
            name: serializers.CharField() for name in context_fields.CONTEXT_FIELDS
        }
        fields["ip_address"] = serializers.CharField(allow_null=True)
        return fields


class PastConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=ConversationStatus.choices)
    subject = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


class CustomerTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    priority = serializers.IntegerField()
    conversation_id = serializers.IntegerField(
        allow_null=True, help_text="The conversation the ticket was made from."
    )
    created_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The ticket in the workspace (`/desk/#t=<id>`).")


CONTEXT_FIELDS = [*context_fields.CONTEXT_FIELDS, "ip_address"]  # the panel's


def customer_panel_json(customer: Customer) -> dict[str, Any]:
    """The customer as the workspace's Customer tab shows it (identities prefetched)."""
    return {
        "id": customer.pk,
        "name": customer.display_name,
        "vip_level": customer.vip_level,
        "language": customer.language,
        "attributes": customer.attributes,
        "notes": customer.notes,
        "created_at": customer.created_at.isoformat(),
        "identities": [
            {
                "kind": identity.kind,
                "kind_label": str(identity.get_kind_display()),
                "external_id": identity.external_id,
                "verified": identity.verified,
            }
            for identity in customer.identities.all()
        ],
    }


def context_json(conversation: Conversation | None) -> dict[str, Any]:
    if conversation is None:
        return {name: "" if name != "ip_address" else None for name in CONTEXT_FIELDS}
    return {name: getattr(conversation, name) for name in CONTEXT_FIELDS}


def history_json(conversations: list[Conversation], tickets: list) -> dict[str, Any]:
    """The customer's conversations and tickets as links into the workspace (`#c=`, `#t=`)."""
    workspace = reverse("desk:workspace")
    return {
        "previous_conversations": [
            {
                "id": past.pk,
                "channel": past.channel,
                "status": past.status,
                "subject": past.subject,
                "created_at": past.created_at.isoformat(),
                "last_message_at": _iso(past.last_message_at),
                "url": f"{workspace}#c={past.pk}",
            }
            for past in conversations
        ],
        "tickets": [
            {
                "id": ticket.pk,
                "number": ticket.number,
                "subject": ticket.subject,
                "status": ticket.status,
                "status_label": str(ticket.get_status_display()),
                "priority": ticket.priority,
                "conversation_id": ticket.conversation_id,
                "created_at": ticket.created_at.isoformat(),
                "url": f"{workspace}#t={ticket.pk}",
            }
            for ticket in tickets
        ],
    }


class ConversationDetailSerializer(ConversationSummarySerializer):
    """The conversation with everything the customer panel shows."""

    customer = CustomerPanelSerializer()
    context = ContextSerializer()
    previous_conversations = PastConversationSerializer(
        many=True, help_text="The customer's other conversations you may see, newest first."
    )
    tickets = CustomerTicketSerializer(many=True)

    def to_representation(self, instance):
        conversation = instance["conversation"]
        data = events.conversation_json(conversation)
        data["customer"] = customer_panel_json(conversation.customer)
        data["context"] = context_json(conversation)
        data.update(history_json(instance["previous_conversations"], instance["tickets"]))
        return data


class CustomerDetailSerializer(serializers.Serializer):
    """A customer with everything the customer panel shows, for a ticket without an open chat."""

    customer = CustomerPanelSerializer()
    context = ContextSerializer(help_text="Where the customer was in their newest conversation.")
    previous_conversations = PastConversationSerializer(
        many=True, help_text="The customer's conversations you may see, newest first."
    )
    tickets = CustomerTicketSerializer(many=True)

    def to_representation(self, instance):
        conversations = instance["conversations"]
        return {
            "customer": customer_panel_json(instance["customer"]),
            "context": context_json(conversations[0] if conversations else None),
            **history_json(conversations, instance["tickets"]),
        }


class SenderSerializer(_Named):
    avatar_url = serializers.CharField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField(
        help_text="A signed URL: anyone holding it may fetch the file until it expires "
        "(ATTACHMENT_URL_MAX_AGE_SECONDS, then 410); history and sync hand out fresh ones."
    )

    def to_representation(self, instance):
        return events.attachment_json(instance)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender_type = serializers.CharField()
    sender = SenderSerializer(allow_null=True)
    content_type = serializers.CharField()
    body = serializers.CharField(help_text="Raw text: render it as text, never as HTML.")
    payload = serializers.DictField()
    is_internal = serializers.BooleanField()
    client_msg_id = serializers.CharField()
    attachments = AttachmentSerializer(many=True)
    delivery_state = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return events.message_json(instance)


class MessagePageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    has_more = serializers.BooleanField(help_text="Older messages exist before this page.")
    last_seq = serializers.IntegerField()


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class AssignSerializer(serializers.Serializer):
    assignee_id = IdField(allow_null=True, help_text="An agent's user id, or null to unassign.")


class TransferSerializer(serializers.Serializer):
    team_id = IdField(required=False, help_text="The team that takes the conversation over.")
    assignee_id = IdField(
        required=False,
        help_text="The agent who takes it over (refused with 409 `agent_at_capacity` when "
        "they are full). Without it nobody is assigned and the team's queue routes it.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="An internal note for whoever takes it over.",
    )

    def validate(self, data):
        if "team_id" not in data and "assignee_id" not in data:
            raise serializers.ValidationError({"team_id": [_("Name a team or an agent.")]})
        return data


class CloseSerializer(serializers.Serializer):
    unresolved = serializers.BooleanField(
        default=False,
        help_text="Closed without a solution: the conversation also becomes a ticket "
        "(转工单, source `unresolved`), unless it already has an open one.",
    )
