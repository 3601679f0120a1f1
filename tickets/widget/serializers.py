"""What the widget's ticket and menu endpoints accept and return (docs/api.md, "Widget")."""

from rest_framework import serializers


def _label_field() -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(), help_text='"zh-hans" and "en".')


class WidgetMenuQuestionSerializer(serializers.Serializer):
    key = serializers.SlugField()
    label = _label_field()
    kind = serializers.ChoiceField(choices=["text", "textarea", "choice"])
    choices = serializers.ListField(child=serializers.CharField())
    required = serializers.BooleanField()


class WidgetMenuOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = _label_field()
    questions = WidgetMenuQuestionSerializer(many=True)


def site_menu_field() -> serializers.Field:
    """The `menu` key of the widget's site config (chat/widget/extensions.py)."""
    return WidgetMenuOptionSerializer(many=True, help_text="The active menu options (转工单).")


class WidgetTicketSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    rated = serializers.BooleanField()
    score = serializers.IntegerField(allow_null=True)


class WidgetRatingRequestSerializer(serializers.Serializer):
    """The score is checked by the rating service (a whole number 1–5, else `invalid_score`)."""

    score = serializers.JSONField(allow_null=True, help_text="A whole number from 1 to 5.")
    comment = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=True
    )


class WidgetMenuRequestSerializer(serializers.Serializer):
    """Checked against the option's questions by the service (required, choices, lengths)."""

    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="Answer per question key; text of at most 1000 characters.",
    )


class WidgetMenuTicketSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    conversation_id = serializers.IntegerField()
