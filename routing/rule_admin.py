"""The supervisor's admin for routing rules (issue 12): ordered by position, reordered and
switched on or off from the list; lists are edited as checkboxes and one entry per line."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from routing.models import RoutingRule
from routing.rule_checks import CHANNEL_CHOICES, LANGUAGE_CHOICES

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class LinesField(forms.CharField):
    """A list of texts edited one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class RoutingRuleForm(forms.ModelForm):
    channels = forms.TypedMultipleChoiceField(
        label=_("channels"),
        choices=CHANNEL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Any of these channels; none ticked: every channel."),
    )
    languages = forms.TypedMultipleChoiceField(
        label=_("languages"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The language of the first message (else the customer's); none: any."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    keywords = LinesField(
        label=_("keywords"),
        required=False,
        help_text=_(
            "One per line; any of them in the customer's first message (a ticket: its subject "
            "and description), ignoring case."
        ),
    )
    categories = LinesField(
        label=_("categories"),
        required=False,
        help_text=_("Ticket category names, one per line."),
    )

    class Meta:
        model = RoutingRule
        exclude: list[str] = []


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["name", "position", "is_active", "applies_to", "team", "skill", "priority"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "applies_to", "team"]
    list_select_related = ["team", "skill"]
    search_fields = ["name"]
    ordering = ["position", "id"]
    autocomplete_fields = ["team", "skill"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active", "applies_to"]}),
        (
            _("When (every condition given must hold)"),
            {
                "fields": [
                    "channels",
                    "site",
                    "min_vip_level",
                    "customer_attributes",
                    "keywords",
                    "categories",
                    "languages",
                ]
            },
        ),
        (
            _("Hours"),
            {"fields": ["hours", "weekdays", "start_time", "end_time", "timezone"]},
        ),
        (
            _("Then"),
            {"fields": ["team", "skill", "min_skill_level", "priority"]},
        ),
        (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
