"""The supervisors' admin of automation rules (with the dry run), team working hours, and the
read-only rows the engine writes (executions, held notices). Imported by tickets/admin.py."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tickets.automation.dry_run import DRY_RUN_LIMIT, rule_dry_run
from tickets.models import AutomationRule, HeldNotice, RuleExecution, RuleTrigger, TeamHours


class ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


CONDITION_FIELDS = [
    "if_status",
    "if_priority",
    "if_team",
    "if_category",
    "if_channel",
    "if_assigned",
    "if_tags",
    "if_min_vip_level",
    "if_sla_policy",
]
ACTION_FIELDS = [
    "set_assignee",
    "set_team",
    "set_priority",
    "raise_priority",
    "set_status",
    "add_tags",
    "internal_note",
    "customer_reply",
    "notify",
]


def _given(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if hasattr(value, "exists"):  # the tags' queryset
        return value.exists()
    return value is not None and value is not False


class AutomationRuleForm(forms.ModelForm):
    class Meta:
        model = AutomationRule
        fields = [
            "name",
            "is_active",
            "position",
            "trigger",
            "hours",
            "minutes",
            *CONDITION_FIELDS,
            *ACTION_FIELDS,
            "notify_text",
        ]

    def clean(self):
        cleaned = super().clean()
        waiting = cleaned.get("trigger") == RuleTrigger.CONVERSATION_WAITING
        if waiting and _given(cleaned.get("if_tags")):
            self.add_error("if_tags", _("A waiting conversation has no tags yet."))
        if not waiting and not any(_given(cleaned.get(name)) for name in ACTION_FIELDS):
            raise forms.ValidationError(_("A rule needs at least one action."))
        for name in ("if_team", "set_team"):
            team = cleaned.get(name)
            if team is not None and not team.is_active:
                self.add_error(name, _("This team is no longer active."))
        return cleaned


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    """Rules in their order; the dry run (a list action, and a link on each rule's page) lists
    the open tickets a rule would touch now, changing nothing."""

    form = AutomationRuleForm
    list_display = [
        "position",
        "name",
        "trigger",
        "hours",
        "minutes",
        "is_active",
        "dry_run_link",
    ]
    list_display_links = ["name"]
    list_editable = ["position"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["name"]
    ordering = ["position", "id"]
    filter_horizontal = ["if_tags", "add_tags"]
    autocomplete_fields = ["set_assignee"]
    readonly_fields = ["dry_run_link"]
    actions = ["dry_run"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "position", "dry_run_link"]}),
        (_("When"), {"fields": ["trigger", "hours", "minutes"]}),
        (_("If (empty: any)"), {"fields": CONDITION_FIELDS}),
        (_("Then"), {"fields": [*ACTION_FIELDS, "notify_text"]}),
    ]

    @admin.display(description=_("dry run"))
    def dry_run_link(self, rule: AutomationRule) -> str:
        if rule.pk is None:
            return "-"
        url = reverse("admin:tickets_automationrule_dry_run", args=[rule.pk])
        return format_html('<a href="{}">{}</a>', url, _("Which tickets now?"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="tickets_automationrule_dry_run",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Dry run: list the open tickets the rules would touch now"))
    def dry_run(self, request, queryset):
        return self._dry_run_page(request, list(queryset.order_by("position", "id")))

    def dry_run_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._dry_run_page(request, [get_object_or_404(AutomationRule, pk=pk)])

    def _dry_run_page(self, request, rules: list[AutomationRule]) -> TemplateResponse:
        results = [(rule, list(rule_dry_run(rule))) for rule in rules]
        return TemplateResponse(
            request,
            "admin/tickets/automationrule/dry_run.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Dry run"),
                "opts": self.model._meta,
                "results": results,
                "limit": DRY_RUN_LIMIT,
            },
        )


@admin.register(TeamHours)
class TeamHoursAdmin(admin.ModelAdmin):
    list_display = ["team", "business_hours"]
    list_select_related = ["team", "business_hours"]
    search_fields = ["team__name"]


@admin.register(RuleExecution)
class RuleExecutionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["rule", "ticket", "event_id", "anchor_at", "created_at"]
    list_filter = ["rule"]
    list_select_related = ["rule", "ticket"]
    search_fields = ["ticket__number", "rule__name"]


@admin.register(HeldNotice)
class HeldNoticeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["ticket", "rule_name", "text", "send_at", "sent_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket"]
    search_fields = ["ticket__number", "rule_name"]
