"""Supervisor's admin for teams, skills and agents, and the User admin that creates agents.

A supervisor creates an agent on the user "add" page: login, role groups and the workspace
profile in one form. Presence changes made here go through `agent_set_presence`, so they are
logged like any other; the presence log itself is read-only.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from routing import rule_admin, services
from routing.models import AgentChannelCapacity, AgentProfile, AgentSkill, PresenceLog, Skill, Team

User = get_user_model()
__all__ = ["rule_admin"]  # registers the routing rules' admin


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "auto_assign",
        "assignment_mode",
        "offer_seconds",
        "fallback_team",
        "overflow_after_seconds",
        "login_presence",
    ]
    list_filter = ["is_active", "auto_assign", "assignment_mode"]
    list_select_related = ["fallback_team"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["fallback_team"]
    # Team.clean refuses a fallback team that is the team itself or inactive, and times out of
    # bounds, each on its field.
    fieldsets = [
        (None, {"fields": ["name", "description", "is_active", "login_presence", "created_at"]}),
        (
            _("Routing"),
            {
                "fields": [
                    "auto_assign",
                    "assignment_mode",
                    "any_agent_when_none_online",
                    "offer_seconds",
                ]
            },
        ),
        (_("Overflow"), {"fields": ["fallback_team", "overflow_after_seconds"]}),
    ]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]


class AgentChannelCapacityInline(admin.TabularInline):
    model = AgentChannelCapacity
    fields = ["channel", "max_chats", "active_chats"]
    readonly_fields = ["active_chats"]
    extra = 0


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    autocomplete_fields = ["skill"]
    extra = 0


# Kept by the services: the load counter only moves with conditional UPDATEs (routing/capacity.py).
AGENT_SYSTEM_FIELDS = [
    "presence_changed_at",
    "last_seen_at",
    "chosen_presence",
    "active_chats",
    "last_assigned_at",
]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "user",
        "presence",
        "active_chats",
        "max_concurrent_chats",
        "last_seen_at",
    ]
    list_filter = ["presence", "teams", "skills"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["teams"]
    readonly_fields = AGENT_SYSTEM_FIELDS
    inlines = [AgentSkillInline, AgentChannelCapacityInline]

    def get_readonly_fields(self, request, obj=None):
        # A new profile starts offline; later changes are logged through the service.
        return AGENT_SYSTEM_FIELDS if obj is not None else [*AGENT_SYSTEM_FIELDS, "presence"]

    def save_model(self, request, obj, form, change):
        presence = obj.presence
        if change and "presence" in form.changed_data:
            obj.presence = form.initial["presence"]
        super().save_model(request, obj, form, change)
        if obj.presence != presence:
            services.agent_set_presence(
                actor=request.user, profile=obj, presence=presence, reason="admin"
            )
            obj.presence = presence


@admin.register(AgentSkill)
class AgentSkillAdmin(admin.ModelAdmin):
    list_display = ["agent", "skill", "level"]
    list_filter = ["skill", "level"]
    list_select_related = ["agent", "skill"]
    search_fields = ["agent__display_name", "skill__name"]
    autocomplete_fields = ["agent", "skill"]


@admin.register(PresenceLog)
class PresenceLogAdmin(admin.ModelAdmin):
    """View only: written by agent_set_presence."""

    list_display = ["created_at", "agent", "old_value", "new_value", "actor", "reason"]
    list_filter = ["new_value", "old_value", "agent"]
    list_select_related = ["agent", "actor"]
    search_fields = ["agent__display_name", "agent__user__username", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    fk_name = "user"
    can_delete = False
    fields = ["display_name", "avatar_url", "teams", "max_concurrent_chats", "presence"]
    readonly_fields = ["presence"]
    filter_horizontal = ["teams"]
    verbose_name_plural = _("workspace profile")


class UnideskUserAdmin(UserAdmin):
    """Django's user admin plus the workspace profile, and the role chosen when adding."""

    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Role"), {"fields": ("email", "is_staff", "groups")}),
    )
    list_display = ["username", "email", "agent_name", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups", "agent_profile__presence"]
    list_select_related = ["agent_profile"]
    search_fields = ["username", "email", "first_name", "last_name", "agent_profile__display_name"]
    inlines = [AgentProfileInline]

    @admin.display(description=_("display name"), ordering="agent_profile__display_name")
    def agent_name(self, obj) -> str:
        profile = getattr(obj, "agent_profile", None)
        return profile.display_name if profile else ""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser hands out superuser status or raw permissions.
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def get_queryset(self, request):
        # A supervisor must not reach a superuser's account (its password form included):
        # resetting that password would hand out every permission there is.
        users = super().get_queryset(request)
        return users if request.user.is_superuser else users.filter(is_superuser=False)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UnideskUserAdmin)
