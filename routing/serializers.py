from rest_framework import serializers

from routing.models import AgentProfile, Presence


class AgentProfileSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    teams = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    # Not a URLField: the schema would say `format: uri`, which "" (no avatar) is not.
    avatar_url = serializers.CharField(
        read_only=True, help_text="The avatar image's URL; empty when the agent has none."
    )

    class Meta:
        model = AgentProfile
        fields = [
            "id",
            "username",
            "display_name",
            "avatar_url",
            "presence",
            "presence_changed_at",
            "max_concurrent_chats",
            "teams",
        ]
        read_only_fields = fields


class PresenceSerializer(serializers.Serializer):
    presence = serializers.ChoiceField(choices=Presence.choices)
