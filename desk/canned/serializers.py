"""The canned replies API's shapes (desk/canned/api.py)."""

from typing import Any

from rest_framework import serializers

from desk.canned.selectors import LIST_LIMIT, MAX_LIST_LIMIT
from desk.kernel.ids import IdField, WholeNumberField
from desk.models import CannedReply, CannedReplyScope, Language


class ReplyContextSerializer(serializers.Serializer):
    """Where the reply is written: its variables and its topic come from there."""

    conversation = IdField(required=False, help_text="The conversation being answered.")
    ticket = IdField(
        required=False,
        help_text="The ticket being answered; by default the conversation's open ticket.",
    )


class CannedReplyQuerySerializer(ReplyContextSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="What follows `/` in the composer: a shortcut prefix, or words of the title "
        "or body.",
    )
    limit = WholeNumberField(
        required=False, min_value=1, max_value=MAX_LIST_LIMIT, default=LIST_LIMIT
    )


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CannedReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shortcut = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="The text with its `{{variables}}` as written.")
    language = serializers.ChoiceField(choices=Language.choices)
    scope = serializers.ChoiceField(choices=CannedReplyScope.choices)
    team = TeamRefSerializer(allow_null=True)
    mine = serializers.BooleanField(help_text="A personal reply of the agent's own (editable).")
    usage_count = serializers.IntegerField(help_text="Uses by every agent, everywhere.")
    topic_uses = serializers.IntegerField(
        help_text="Uses for the context's category and team (0 without a context)."
    )

    def to_representation(self, instance: CannedReply) -> dict[str, Any]:
        user = self.context["user"]
        return {
            "id": instance.pk,
            "shortcut": instance.shortcut,
            "title": instance.title,
            "body": instance.body,
            "language": instance.language,
            "scope": instance.scope,
            "team": {"id": instance.team.pk, "name": instance.team.name} if instance.team else None,
            "mine": instance.owner_id == user.pk,
            "usage_count": instance.usage_count,
            "topic_uses": getattr(instance, "category_uses", 0) + getattr(instance, "team_uses", 0),
        }


class CannedReplyListSerializer(serializers.Serializer):
    results = CannedReplySerializer(many=True)


class RenderedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shortcut = serializers.CharField()
    body = serializers.CharField(help_text="Plain text with the known variables filled.")
    unfilled = serializers.ListField(
        child=serializers.CharField(),
        help_text="Variables left as written (unknown, or no value here), e.g. `ticket.number`.",
    )


class UseSerializer(serializers.Serializer):
    usage_count = serializers.IntegerField()


class PersonalReplySerializer(serializers.Serializer):
    """An agent's personal reply (the shortcut is checked by the model: letters of any
    language, digits, `-` and `_`)."""

    shortcut = serializers.CharField(max_length=50)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)
    language = serializers.ChoiceField(choices=Language.choices, required=False)

    def validate_shortcut(self, value: str) -> str:
        return value.strip().removeprefix("/")
