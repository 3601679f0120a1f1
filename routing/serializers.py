from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from desk.kernel.choices import Priority
from routing.models import AgentProfile, Presence, RoutingRule, Skill, Team
from routing.rule_checks import CHANNEL_CODES, LANGUAGE_CODES, rule_errors


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


class RoutingRuleSerializer(serializers.ModelSerializer):
    """A routing rule, read and written by supervisors (`/api/v1/routing/rules/`). The model's
    checks (`routing.rule_checks.rule_errors`) answer 400 with the field that is wrong."""

    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        help_text="The team that gets what the rule matches (id).",
        error_messages={"does_not_exist": _("There is no team with id {pk_value}.")},
    )
    skill = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": _("There is no skill with id {pk_value}.")},
        help_text="Only agents with this skill (id) take it; null: any agent of the team.",
    )
    # Bounds stated here: the model field's come from the database (SQLite: 64-bit), and the
    # schema must be the same whichever generated it.
    position = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    team_name = serializers.CharField(source="team.name", read_only=True)
    skill_name = serializers.CharField(source="skill.name", read_only=True, allow_null=True)
    channels = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=f"Any of {CHANNEL_CODES}."
    )
    languages = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=f"Any of {LANGUAGE_CODES}."
    )
    keywords = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="At most 50, each 1-50 chars."
    )
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Monday = 0 … Sunday = 6."
    )
    customer_attributes = serializers.DictField(required=False)
    priority = serializers.ChoiceField(
        choices=Priority.choices, allow_null=True, required=False, help_text="0 (P0) to 3 (P3)."
    )

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "applies_to",
            "channels",
            "site",
            "min_vip_level",
            "customer_attributes",
            "keywords",
            "categories",
            "languages",
            "hours",
            "weekdays",
            "start_time",
            "end_time",
            "timezone",
            "team",
            "team_name",
            "skill",
            "skill_name",
            "min_skill_level",
            "priority",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"min_skill_level": {"min_value": 1, "max_value": 5}}

    def validate(self, attrs: dict) -> dict:
        rule = RoutingRule(**{**self._current(), **attrs})
        errors = rule_errors(rule)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        names = [f.name for f in RoutingRule._meta.concrete_fields if f.name != "id"]
        return {name: getattr(self.instance, name) for name in names}
