"""Supervisor's admin for tickets, their timeline, categories, SLA policies and calendars.

Tickets are written only through `tickets.services`: the add form calls `ticket_create` (number
and `created` event), the change form calls `ticket_update_fields` (timeline rows for status,
priority and assignee). The timeline itself is read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tickets import services, tasks
from tickets.assist.admin import CategoryKeywordsInline
from tickets.automation import admin as automation_admin  # noqa: F401 (automation rules)
from tickets.models import (
    BusinessHours,
    BusinessHoursInterval,
    Category,
    Holiday,
    KeywordTrigger,
    MakeUpWorkday,
    SlaPolicy,
    SlaTimer,
    Tag,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketView,
)
from tickets.sla import policies as sla_policies
from tickets.sla import recompute as sla_recompute
from tickets.sources import keywords as triggers
from tickets.sources.menu import admin as menu_admin  # noqa: F401 (the widget menu, on its site)
from tickets.transitions import transition_allowed


class ReadOnlyAdminMixin:
    """View only: rows are written by services, never by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    inlines = [CategoryKeywordsInline]  # the classifier's fallback (tickets/assist/)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class BusinessHoursIntervalInline(admin.TabularInline):
    model = BusinessHoursInterval
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class MakeUpWorkdayInline(admin.TabularInline):
    model = MakeUpWorkday
    extra = 0


class RecomputesSlaClocks:
    """An admin whose saves and deletions change SLA due times: once they commit, the open
    tickets' clocks are recomputed in the background (tickets/sla/recompute.py), measuring the
    time each has used by the calendars as they were before the change."""

    def calendar_ids(self, obj) -> set[int]:
        """The business-hours calendars a change of `obj` changes (as saved, and as edited)."""
        saved = type(obj).objects.filter(pk=obj.pk).values_list("calendar_id", flat=True)
        return {obj.calendar_id, *saved} - {None}

    def recompute_after_commit(self, *, old_targets=None, old_calendars=None) -> None:
        transaction.on_commit(lambda: tasks.sla_recompute_open.delay(old_targets, old_calendars))

    def save_model(self, request, obj, form, change):
        before = sla_recompute.calendars_before(self.calendar_ids(obj))
        super().save_model(request, obj, form, change)
        self.recompute_after_commit(old_calendars=before)

    def delete_model(self, request, obj):
        before = sla_recompute.calendars_before(self.calendar_ids(obj))
        super().delete_model(request, obj)
        self.recompute_after_commit(old_calendars=before)

    def delete_queryset(self, request, queryset):
        ids = set().union(*(self.calendar_ids(obj) for obj in queryset))
        before = sla_recompute.calendars_before(ids)
        super().delete_queryset(request, queryset)
        self.recompute_after_commit(old_calendars=before)


@admin.register(BusinessHours)
class BusinessHoursAdmin(RecomputesSlaClocks, admin.ModelAdmin):
    list_display = ["name", "timezone"]
    search_fields = ["name"]
    inlines = [BusinessHoursIntervalInline, HolidayInline, MakeUpWorkdayInline]

    def calendar_ids(self, obj) -> set[int]:
        return {obj.pk} if obj.pk else set()


@admin.register(BusinessHoursInterval)
class BusinessHoursIntervalAdmin(RecomputesSlaClocks, admin.ModelAdmin):
    list_display = ["calendar", "weekday", "start", "end"]
    list_filter = ["calendar", "weekday"]
    search_fields = ["calendar__name"]


@admin.register(Holiday)
class HolidayAdmin(RecomputesSlaClocks, admin.ModelAdmin):
    list_display = ["date", "name", "calendar"]
    list_filter = ["calendar"]
    search_fields = ["name", "calendar__name"]
    date_hierarchy = "date"


@admin.register(MakeUpWorkday)
class MakeUpWorkdayAdmin(RecomputesSlaClocks, admin.ModelAdmin):
    list_display = ["date", "name", "works_as", "calendar"]
    list_filter = ["calendar"]
    search_fields = ["name", "calendar__name"]
    date_hierarchy = "date"


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The SLA clocks' alarms, pending and fired (made and fired by the system only)."""

    list_display = ["ticket", "conversation", "target", "phase", "due_at", "fire_at", "fired_at"]
    list_filter = ["target", "phase", ("fired_at", admin.EmptyFieldListFilter)]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "conversation__customer"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(RecomputesSlaClocks, admin.ModelAdmin):
    """Policies in the order they are tried (the first that matches applies); one that an
    earlier active policy always beats is flagged, in the list and when it is saved."""

    list_display = [
        "position",
        "name",
        "priority",
        "category",
        "team",
        "channel",
        "min_vip_level",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "business_hours",
        "is_active",
        "never_applies",
    ]
    list_display_links = ["name"]
    list_editable = ["position"]
    list_filter = ["is_active", "priority", "business_hours"]
    search_fields = ["name"]
    ordering = ["position", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "team", "business_hours")

    @admin.display(description=_("never applies"))
    def never_applies(self, policy: SlaPolicy) -> str:
        # One small query per row: supervisors keep a handful of policies.
        earlier = sla_policies.shadowed_by(
            policy, list(SlaPolicy.objects.order_by("position", "id"))
        )
        if earlier is None:
            return ""
        return _("Always beaten by “%(name)s” (earlier in the order)") % {"name": earlier.name}

    def calendar_ids(self, obj) -> set[int]:
        return set()  # a policy's edit changes no calendar: its targets are passed instead

    def save_model(self, request, obj, form, change):
        saved = SlaPolicy.objects.filter(pk=obj.pk).first() if change else None
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        # The targets ticket clocks ran for, to carry the time they used over to the new ones.
        self.recompute_after_commit(
            old_targets={str(saved.pk): sla_recompute.policy_targets(saved)} if saved else None
        )
        earlier = sla_policies.shadowed_by(obj, list(SlaPolicy.objects.order_by("position", "id")))
        if earlier is not None and obj.is_active:
            self.message_user(
                request,
                _(
                    "“%(name)s” can never apply: the earlier policy “%(earlier)s” matches every "
                    "ticket it matches. Move it up or narrow the earlier one."
                )
                % {"name": obj.name, "earlier": earlier.name},
                level=messages.WARNING,
            )


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The timeline, append-only: shown on the ticket, never edited or deleted."""

    model = TicketEvent
    fk_name = "ticket"
    fields = [
        "created_at",
        "kind",
        "action",
        "actor",
        "actor_customer",
        "old_value",
        "new_value",
        "body",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


# Set by the system (number sequence, SLA clocks, timestamps), never typed in.
TICKET_SYSTEM_FIELDS = [
    "number",
    "sla_policy",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "customer_waiting_since",
    "next_response_due_at",
    "resolved_at",
    "closed_at",
    "source",
    "merged_into",
    "related",
    "csat_score",
    "csat_comment",
    "csat_at",
    "created_by",
    "created_at",
    "updated_at",
]


class TicketAdminForm(forms.ModelForm):
    """Refuses a status the ticket cannot move to (tickets/transitions.py) as a form error."""

    class Meta:
        model = Ticket
        fields = ["status"]  # the admin passes the fieldsets' fields

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk and not transition_allowed(self.instance.status, status):
            raise forms.ValidationError(
                _("A ticket cannot go from “%(old)s” to “%(new)s”."),
                code="invalid_transition",
                params={
                    "old": str(self.instance.get_status_display()),
                    "new": str(TicketStatus(status).label),
                },
            )
        return status


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = [
        "number",
        "subject",
        "status",
        "priority",
        "team",
        "assignee",
        "category",
        "requester",
        "resolution_due_at",
        "created_at",
    ]
    list_display_links = ["number", "subject"]
    list_filter = [
        "status",
        "priority",
        "team",
        "category",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "sla_policy",
        "created_at",
    ]
    list_select_related = ["team", "assignee", "category", "requester"]
    search_fields = [
        "number",
        "subject",
        "description",
        "requester__display_name",
        "requester__identities__external_id",
    ]
    date_hierarchy = "created_at"
    autocomplete_fields = ["requester", "assignee", "team", "category", "tags"]
    raw_id_fields = ["conversation"]
    inlines = [TicketEventInline]
    fieldsets = [
        (None, {"fields": ["number", "subject", "description", "custom_fields"]}),
        (
            _("Handling"),
            {"fields": ["status", "priority", "category", "tags", "team", "assignee"]},
        ),
        (_("Customer"), {"fields": ["requester", "conversation", "source"]}),
        (_("Related tickets"), {"fields": ["merged_into", "related"]}),
        (_("Satisfaction"), {"fields": ["csat_score", "csat_comment", "csat_at"]}),
        (
            _("SLA"),
            {
                "fields": [
                    "sla_policy",
                    "first_response_due_at",
                    "resolution_due_at",
                    "first_responded_at",
                    "customer_waiting_since",
                    "next_response_due_at",
                    "resolved_at",
                    "closed_at",
                ]
            },
        ),
        (_("History"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            # A new ticket starts as `new`; its number and SLA come from ticket_create.
            return [*TICKET_SYSTEM_FIELDS, "status"]
        return [*TICKET_SYSTEM_FIELDS, "conversation"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {
                name: data[name]
                for name in form.changed_data
                if name in services.TICKET_EDITABLE_FIELDS
            }
            services.ticket_update_fields(actor=request.user, ticket=obj, changes=changes)
            return
        ticket = services.ticket_create(
            actor=request.user,
            requester=data["requester"],
            conversation=data.get("conversation"),
            data=services.TicketData(
                subject=data["subject"],
                description=data.get("description", ""),
                priority=data["priority"],
                category=data.get("category"),
                tags=[tag.name for tag in data.get("tags", [])],
                team=data.get("team"),
                assignee=data.get("assignee"),
                custom_fields=data.get("custom_fields") or {},
            ),
        )
        # The admin goes on with `obj` (tags, log entry, redirect): make it the stored ticket.
        obj.__dict__.update(
            {k: v for k, v in ticket.__dict__.items() if k != "_prefetched_objects_cache"}
        )


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "ticket", "kind", "actor", "old_value", "new_value"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["ticket", "actor"]
    search_fields = ["ticket__number", "body"]
    date_hierarchy = "created_at"
    raw_id_fields = ["ticket"]


class KeywordTriggerForm(forms.ModelForm):
    class Meta:
        model = KeywordTrigger
        fields = ["name"]  # the admin passes the fieldsets' fields
        help_texts = {
            "name": _("Written on the ticket's timeline as the rule that created it."),
            "position": _("Rules are tried in this order, lowest first; the first match wins."),
            "match": _("Keywords: any of the words below. Regular expression: the pattern."),
        }


@admin.register(KeywordTrigger)
class KeywordTriggerAdmin(admin.ModelAdmin):
    """Rules are checked when saved (a bad pattern is a form error, never a failure at message
    time); the change reaches every server process within `triggers.CACHE_SECONDS`. The form
    reads in the order a supervisor thinks: the rule, when it matches, the ticket it creates."""

    form = KeywordTriggerForm
    list_display = ["name", "is_active", "position", "match", "priority", "category", "team"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "match", "priority", "team"]
    search_fields = ["name", "keywords", "pattern"]
    filter_horizontal = ["tags"]
    fieldsets = [
        (_("Rule"), {"fields": ["name", "is_active", "position"]}),
        (_("When a customer message matches"), {"fields": ["match", "keywords", "pattern"]}),
        (
            _("A ticket is created"),
            {
                "fields": ["priority", "category", "tags", "team"],
                "description": _(
                    "When a customer message matches, a ticket is created with these values "
                    "and the customer sees its number in the chat. A conversation that already "
                    "has an open ticket gets no second one."
                ),
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        triggers.active_triggers_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        triggers.active_triggers_forget()


@admin.register(TicketView)
class TicketViewAdmin(admin.ModelAdmin):
    """Agents' saved ticket list views (agents manage their own in the workspace)."""

    list_display = ["name", "owner", "position", "created_at"]
    list_filter = ["owner"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["created_at"]
