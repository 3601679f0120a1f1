"""The agent ticket API's shapes (/api/v1/…/tickets/).

Ticket summaries are built by `tickets.events.ticket_json`, the same function that builds the
`ticket.update` event, so an API answer and a push always agree; the declared fields document it.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from chat.models import IdentityKind
from desk.kernel.choices import Priority
from desk.kernel.ids import IdField
from routing.selectors import agent_display_name
from tickets.category_suggestion import SuggestionReason
from tickets.events import ticket_json
from tickets.field_changes import (
    CUSTOM_FIELD_KEY_MAX,
    CUSTOM_FIELD_VALUE_MAX,
    CUSTOM_FIELDS_MAX,
    TAG_NAME_MAX,
)
from tickets.models import (
    SlaTarget,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    TicketSystemAction,
)
from tickets.transitions import transitions_from

SUBJECT_MAX = Ticket._meta.get_field("subject").max_length
DESCRIPTION_MAX = 100_000
REPLY_MAX = 5000
TAGS_MAX = 20


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SlaClockSerializer(serializers.Serializer):
    """The next SLA target the ticket's clock runs for (null: no policy, done, or all met)."""

    target = serializers.ChoiceField(choices=SlaTarget.choices)
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField(
        allow_null=True, help_text="When the target turns at risk (null: no warning)."
    )
    paused_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Set while the clock stands still (waiting for the customer): the time left "
        "is `left_seconds`, as of this moment.",
    )
    risk = serializers.ChoiceField(
        choices=[(r, r) for r in ("breached", "at_risk", "on_track")],
        help_text="As of `as_of` (of `paused_at` while paused): past the due time, inside the "
        "policy's warning share (from `warn_at`), or neither.",
    )
    as_of = serializers.DateTimeField(help_text="The server's time these values were taken at.")
    left_seconds = serializers.IntegerField(
        help_text="Business time left to `due_at` at `as_of` (at `paused_at` while paused), in "
        "the policy's business hours; negative when overdue."
    )
    open_spans = serializers.ListField(
        child=serializers.ListField(child=serializers.DateTimeField(), min_length=2, max_length=2),
        allow_null=True,
        help_text="The calendar's working spans `[start, end]` from `as_of` for the next 7 days "
        "(at most 40): the time left runs down only inside them. Null: around the clock; "
        "empty while paused.",
    )


class TicketSummarySerializer(serializers.Serializer):
    """A ticket as lists and the `ticket.update` event show it."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    assignee = TicketRefSerializer(allow_null=True)
    team = TicketRefSerializer(allow_null=True)
    category = TicketRefSerializer(allow_null=True)
    conversation_id = serializers.IntegerField(allow_null=True)
    merged_into_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sla = SlaClockSerializer(allow_null=True)

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        return ticket_json(instance)


class TicketCreatedSerializer(serializers.Serializer):
    created = serializers.BooleanField(
        help_text="False: the conversation's open ticket is returned instead of a new one."
    )
    ticket = TicketSummarySerializer()


class TicketEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket_id = serializers.IntegerField(help_text="Differs from the ticket's for merged events.")
    ticket_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=TicketEventKind.choices)
    action = serializers.ChoiceField(choices=TicketSystemAction.choices, allow_blank=True)
    actor = TicketRefSerializer(allow_null=True, help_text="The agent, if an agent did it.")
    customer_name = serializers.CharField(
        allow_null=True, help_text="The customer, if the customer did it."
    )
    body = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    message_id = serializers.IntegerField(allow_null=True)
    rule_name = serializers.CharField(
        help_text="The automation rule that did it, as named then (empty: not a rule)."
    )
    created_at = serializers.DateTimeField()

    def to_representation(self, event: TicketEvent) -> dict[str, Any]:
        actor = event.actor
        customer = event.actor_customer
        return {
            "id": event.pk,
            "ticket_id": event.ticket_id,
            "ticket_number": event.ticket.number,
            "kind": event.kind,
            "action": event.action,
            "actor": {
                "id": actor.pk,
                "name": agent_display_name(actor),
            }
            if actor
            else None,
            "customer_name": (customer.display_name or "") if customer else None,
            "body": event.body,
            "old_value": event.old_value,
            "new_value": event.new_value,
            "message_id": event.message_id,
            "rule_name": event.rule_name,
            "created_at": event.created_at.isoformat(),
        }


class RelatedTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=TicketStatus.choices)


class MergedIntoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class TicketDetailSerializer(TicketSummarySerializer):
    """The ticket with its description, requester and timeline (merged tickets' events too)."""

    description = serializers.CharField()
    source = serializers.CharField()
    requester = TicketRefSerializer()
    tags = serializers.ListField(child=serializers.CharField())
    custom_fields = serializers.DictField()
    allowed_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketStatus.choices),
        help_text="The statuses the ticket may move to now.",
    )
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    related = RelatedTicketSerializer(many=True, help_text="Tickets linked to this one.")
    merged_into = MergedIntoSerializer(
        allow_null=True, help_text="The ticket this one was merged into."
    )
    timeline = TicketEventSerializer(many=True)

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        ticket: Ticket = instance["ticket"]
        requester = ticket.requester
        merged_into = ticket.merged_into
        return {
            **ticket_json(ticket),
            "description": ticket.description,
            "source": ticket.source,
            "requester": {"id": requester.pk, "name": requester.display_name},
            "tags": sorted(tag.name for tag in ticket.tags.all()),
            "custom_fields": ticket.custom_fields,
            "allowed_statuses": sorted(transitions_from(ticket.status)),
            "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
            "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
            "related": [
                {"id": r.pk, "number": r.number, "subject": r.subject, "status": r.status}
                for r in ticket.related.order_by("id")
            ],
            "merged_into": {"id": merged_into.pk, "number": merged_into.number}
            if merged_into
            else None,
            "timeline": [TicketEventSerializer(e).data for e in instance["timeline"]],
        }


class RequesterIdentitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentityKind.choices)
    external_id = serializers.CharField()
    verified = serializers.BooleanField()


class RequesterSerializer(TicketRefSerializer):
    vip_level = serializers.IntegerField()
    identities = RequesterIdentitySerializer(many=True)


class CategoryReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=SuggestionReason.choices)
    text = serializers.CharField(help_text="The reason in the reader's language.")
    detail = serializers.CharField(
        help_text="The rule's name, the word written or the previous ticket's number."
    )


class TicketDraftSerializer(serializers.Serializer):
    """What the 转工单 form starts with, and the conversation's open ticket if it has one."""

    subject = serializers.CharField()
    description = serializers.CharField(help_text="The chat transcript.")
    requester = RequesterSerializer()
    context = serializers.DictField(child=serializers.CharField())
    attributes = serializers.DictField(help_text="The customer's custom attributes.")
    custom_fields = serializers.DictField()
    priority = serializers.ChoiceField(choices=Priority.choices, help_text="Suggested.")
    team = TicketRefSerializer(allow_null=True, help_text="Suggested: the conversation's team.")
    category = TicketRefSerializer(
        allow_null=True,
        help_text="Suggested: a matching keyword rule's category, a category the customer "
        "named, or that of the customer's previous ticket.",
    )
    category_reason = CategoryReasonSerializer(allow_null=True)
    category_confidence = serializers.FloatField(
        allow_null=True, help_text="The category classifier's confidence (0–1), else null."
    )
    summary = serializers.CharField(
        help_text="The customer's most informative sentences, in order (extractive, at most "
        "300 characters), or the language model's summary when ASSIST_LLM_URL is set; the "
        "workspace puts it above the transcript in the description."
    )
    summary_source = serializers.ChoiceField(
        choices=["llm", "extractive"],
        help_text="Which summariser wrote `summary`: `llm`, or `extractive` (the default, and "
        "the fallback when the language model fails).",
    )
    open_ticket = TicketSummarySerializer(allow_null=True)

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        prefill, open_ticket = instance["prefill"], instance["open_ticket"]
        suggestion = instance.get("suggestion")
        category = suggestion.category if suggestion else None
        customer, team = prefill["requester"], prefill["team"]
        return {
            "subject": prefill["subject"],
            "description": prefill["description"],
            "requester": {
                "id": customer.pk,
                "name": customer.display_name,
                "vip_level": customer.vip_level,
                "identities": prefill["identities"],
            },
            "context": prefill["context"],
            "attributes": prefill["attributes"],
            "custom_fields": prefill["custom_fields"],
            "priority": prefill["priority"],
            "team": {"id": team.pk, "name": team.name} if team else None,
            "category": {"id": category.pk, "name": str(category)} if category else None,
            "category_reason": (
                {
                    "code": suggestion.reason,
                    "text": str(SuggestionReason(suggestion.reason).label),
                    "detail": suggestion.detail,
                }
                if suggestion
                else None
            ),
            "category_confidence": suggestion.confidence if suggestion else None,
            "summary": instance.get("summary", ""),
            "summary_source": instance.get("summary_source", "extractive"),
            "open_ticket": ticket_json(open_ticket) if open_ticket else None,
        }


# ---- input --------------------------------------------------------------------------------


class CustomFieldsPatchField(serializers.DictField):
    """Custom fields to set (string, number, true/false) or remove (`null`), by key; the same
    limits on ticket create (where `null` leaves a key out) and on PATCH."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            f"Merged into the ticket's custom fields; `null` removes a key. At most "
            f"{CUSTOM_FIELDS_MAX} keys of at most {CUSTOM_FIELD_KEY_MAX} characters; "
            f"string values of at most {CUSTOM_FIELD_VALUE_MAX} characters.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        if len(data) > CUSTOM_FIELDS_MAX:
            raise serializers.ValidationError(
                _("At most %(n)s custom fields.") % {"n": CUSTOM_FIELDS_MAX}
            )
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            name = key.strip()
            if not name or len(name) > CUSTOM_FIELD_KEY_MAX:
                raise serializers.ValidationError(
                    _("A field name has 1 to %(n)s characters.") % {"n": CUSTOM_FIELD_KEY_MAX}
                )
            if value is not None and not isinstance(value, str | int | float | bool):
                raise serializers.ValidationError(
                    _("“%(key)s”: a value is text, a number, true/false or null.") % {"key": name}
                )
            if isinstance(value, str) and len(value) > CUSTOM_FIELD_VALUE_MAX:
                raise serializers.ValidationError(
                    _("“%(key)s”: a value has at most %(n)s characters.")
                    % {"key": name, "n": CUSTOM_FIELD_VALUE_MAX}
                )
            cleaned[name] = value
        return cleaned


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(
        max_length=SUBJECT_MAX,
        allow_blank=True,
        default="",
        help_text="Empty: the customer's first words.",
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="Empty: the transcript.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.P2)
    team_id = IdField(required=False, allow_null=True, help_text="Empty: the team.")
    category_id = IdField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=TAGS_MAX
    )
    custom_fields = CustomFieldsPatchField(
        required=False,
        help_text=f"Kept on the ticket with its conversation's context (`null` leaves a key out). "
        f"At most {CUSTOM_FIELDS_MAX} keys of at most {CUSTOM_FIELD_KEY_MAX} characters; string "
        f"values of at most {CUSTOM_FIELD_VALUE_MAX} characters.",
    )
    allow_additional = serializers.BooleanField(
        default=False,
        help_text="Create a ticket even though the conversation has an open one.",
    )

    def validate_custom_fields(self, value: dict[str, Any]) -> dict[str, Any]:
        return {key: item for key, item in value.items() if item is not None}


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee_id = IdField(required=False, allow_null=True)
    team_id = IdField(required=False, allow_null=True)
    category_id = IdField(required=False, allow_null=True)
    subject = serializers.CharField(max_length=SUBJECT_MAX, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_NAME_MAX),
        required=False,
        max_length=TAGS_MAX,
        help_text="The ticket's tags: replaces them all (names trimmed, none empty).",
    )
    custom_fields = CustomFieldsPatchField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


class TicketReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=REPLY_MAX)
    internal = serializers.BooleanField(
        default=False, help_text="True: an internal note the customer never sees."
    )


class TicketReplyResultSerializer(serializers.Serializer):
    event = TicketEventSerializer()
    message_id = serializers.IntegerField(
        allow_null=True, help_text="The chat message a public reply became."
    )
