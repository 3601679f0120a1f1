"""Supervisor's admin for the knowledge base and canned replies."""

from django.contrib import admin

from desk.models import CannedReply, KbArticle, KbCategory, Notification
from tickets.admin import ReadOnlyAdminMixin


@admin.register(KbCategory)
class KbCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position"]
    list_editable = ["position"]
    list_filter = ["parent"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]


@admin.register(KbArticle)
class KbArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "language", "status", "author", "updated_at"]
    list_filter = ["status", "language", "category", "updated_at"]
    list_select_related = ["category", "author"]
    search_fields = ["title", "body", "keywords"]
    date_hierarchy = "updated_at"
    autocomplete_fields = ["category"]
    readonly_fields = ["author", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "title", "language", "team", "created_by"]
    list_filter = ["team", "language"]
    list_select_related = ["team", "created_by"]
    search_fields = ["shortcut", "title", "body"]
    autocomplete_fields = ["team"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Agents' notifications (the workspace's bell), written by `desk.notifications.services`."""

    list_display = ["created_at", "recipient", "kind", "ticket", "actor_name", "read_at"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["recipient", "ticket"]
    search_fields = ["recipient__username", "actor_name", "excerpt", "ticket__number"]
    date_hierarchy = "created_at"
