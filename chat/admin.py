"""Supervisor's admin for customers, conversations, messages and attachments.

Messages are the conversation's append-only record: view only. Conversations come from the
channels and are never created here; a supervisor may reassign, re-prioritise or close them.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chat import services
from chat.context import CONTEXT_FIELDS
from chat.models import (
    Attachment,
    Conversation,
    Customer,
    CustomerIdentity,
    Message,
    OfferDecline,
    WidgetSite,
    WidgetVisitor,
)

RECENT_MESSAGES = 10


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    fields = ["kind", "external_id", "verified", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "vip_level", "language", "created_at"]
    list_filter = ["vip_level", "language", "created_at"]
    search_fields = ["display_name", "notes", "identities__external_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CustomerIdentityInline]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ["external_id", "kind", "customer", "verified", "created_at"]
    list_filter = ["kind", "verified"]
    list_select_related = ["customer"]
    search_fields = ["external_id", "customer__display_name"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at"]


# Everything a supervisor may change on a conversation; the rest is what the channel reported.
CONVERSATION_EDITABLE = services.CONVERSATION_EDITABLE_FIELDS


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "channel",
        "customer",
        "status",
        "team",
        "assignee",
        "priority",
        "unread_by_agent",
        "last_message_at",
    ]
    list_filter = ["channel", "status", "team", ("assignee", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["customer", "team", "assignee"]
    search_fields = ["subject", "customer__display_name", "customer__identities__external_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["assignee", "team"]
    fieldsets = [
        (None, {"fields": ["customer", "channel", "subject", *CONVERSATION_EDITABLE]}),
        (
            _("Messages"),
            {"fields": ["messages_link", "recent_messages", "last_seq", "last_message_at"]},
        ),
        (
            _("Counters"),
            {"fields": ["unread_by_agent", "unread_by_customer", "created_at", "closed_at"]},
        ),
        (
            _("Routing"),
            {
                "classes": ["collapse"],
                "fields": ["queued_at", "overflowed_at", "offered_to", "offer_expires_at"],
            },
        ),
        (
            _("Context"),
            {
                "classes": ["collapse"],
                "fields": [*CONTEXT_FIELDS, "ip_address"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [
            name
            for fieldset in self.fieldsets
            for name in fieldset[1]["fields"]
            if name not in CONVERSATION_EDITABLE
        ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.conversation_update_fields(actor=request.user, conversation=obj, changes=changes)

    @admin.display(description=_("all messages"))
    def messages_link(self, obj: Conversation) -> str:
        url = reverse("admin:chat_message_changelist")
        query = urlencode({"conversation__id__exact": obj.pk})
        count = obj.messages.count()
        label = ngettext("View %(count)d message", "View all %(count)d messages", count) % {
            "count": count
        }
        return format_html('<a href="{}?{}">{}</a>', url, query, label)

    @admin.display(description=_("latest messages"))
    def recent_messages(self, obj: Conversation) -> str:
        latest = obj.messages.order_by("-seq")[:RECENT_MESSAGES]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (m.seq, m.created_at, m.get_sender_type_display(), m.body[:200])
                for m in reversed(latest)
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else "-"


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """View only: messages are written once by chat.services.message_create."""

    list_display = [
        "conversation",
        "seq",
        "sender_type",
        "sender_user",
        "content_type",
        "short_body",
        "is_internal",
        "delivery_state",
        "created_at",
    ]
    list_filter = [
        "channel",
        "sender_type",
        "content_type",
        "is_internal",
        "delivery_state",
        "created_at",
    ]
    list_select_related = ["conversation__customer", "sender_user"]
    # the most recently active conversations first, each one's messages in order
    ordering = ["-conversation__last_message_at", "-conversation_id", "seq"]
    search_fields = ["body", "client_msg_id", "provider_message_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["conversation", "sender_user"]
    list_per_page = 50

    @admin.display(description=_("body"))
    def short_body(self, obj: Message) -> str:
        return obj.body[:80]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OfferDecline)
class OfferDeclineAdmin(admin.ModelAdmin):
    """Who passed on which offered conversation (offer mode): written by routing, read here."""

    list_display = ["conversation", "user", "reason", "created_at"]
    list_filter = ["reason", "created_at"]
    list_select_related = ["conversation__customer", "user"]
    raw_id_fields = ["conversation", "user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """View and delete (for example to remove a file a customer sent by mistake)."""

    list_display = [
        "original_name", "content_type", "size", "conversation", "uploader_type", "created_at"
    ]  # fmt: skip
    list_filter = ["content_type", "uploader_type", "created_at"]
    list_select_related = ["conversation__customer"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["conversation", "message", "uploader_user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj):
        services.attachment_delete(attachment=obj)

    def delete_queryset(self, request, queryset):
        for attachment in queryset:
            services.attachment_delete(attachment=attachment)


@admin.register(WidgetSite)
class WidgetSiteAdmin(admin.ModelAdmin):
    """Sites that embed the widget; the secret is generated and shown, never typed. tickets, above
    chat, registers a subclass with the site's widget menu inline (tickets/sources/menu/admin.py).
    """

    list_display = ["name", "key", "is_active", "team", "language", "require_identity"]
    list_filter = ["is_active", "language", "require_identity", "prechat_enabled"]
    list_select_related = ["team"]
    search_fields = ["name", "key"]
    autocomplete_fields = ["team"]
    readonly_fields = ["secret", "snippet", "created_at"]
    actions = ["rotate_secret"]
    fieldsets = [
        (None, {"fields": ["name", "key", "is_active", "team", "offline_tickets", "snippet"]}),
        (
            _("Identity and embedding"),
            {"fields": ["require_identity", "secret", "allowed_origins"]},
        ),
        (
            _("Look and language"),
            {"fields": ["language", "theme_color", "welcome_zh", "welcome_en"]},
        ),
        (
            _("Pre-chat form"),
            {
                "fields": [
                    "prechat_enabled",
                    "prechat_name",
                    "prechat_email",
                    "prechat_phone",
                    "prechat_topic",
                    "prechat_topics",
                ]
            },
        ),
        (None, {"fields": ["created_at"]}),
    ]

    @admin.action(description=_("Generate a new identity secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        from chat.widget.sessions import widget_site_rotate_secret

        for site in queryset:
            widget_site_rotate_secret(actor=request.user, site=site)
            self.log_change(request, site, [{"changed": {"fields": ["secret"]}}])
        self.message_user(
            request,
            _("New secrets made. Give them to the sites' servers: old user hashes fail now."),
        )

    @admin.display(description=_("snippet"))
    def snippet(self, obj: WidgetSite) -> str:
        if not obj.pk:
            return "-"
        code = f'<script src="/static/widget/loader.js" data-site="{obj.key}" async></script>'
        return format_html(
            "<code>{}</code><br>{}",
            code,
            _("Put it on every page, with this server's address before /static/."),
        )


@admin.register(WidgetVisitor)
class WidgetVisitorAdmin(admin.ModelAdmin):
    """Who came through which site, with the latest page context. Written by the widget."""

    list_display = ["customer", "site", "ip_address", "created_at", "last_seen_at"]
    list_filter = ["site", "last_seen_at"]
    list_select_related = ["customer", "site"]
    search_fields = ["customer__display_name", "customer__identities__external_id"]
    date_hierarchy = "last_seen_at"
    raw_id_fields = ["customer"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Channel accounts, their raw events and outbound deliveries (chat/channels/admin.py).
from chat.channels import admin as channels_admin  # noqa: E402, F401
