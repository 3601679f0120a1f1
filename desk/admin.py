"""Supervisor's admin for the knowledge base and canned replies; notifications and domain events
(read-only)."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, NullIf
from django.forms import Script
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from desk.kernel.markdown import markdown_html
from desk.models import (
    ArticleView,
    CannedReply,
    CannedReplyUsage,
    HandledEvent,
    KbArticle,
    KbCategory,
    Notification,
    OutboxEvent,
)
from tickets.admin import ReadOnlyAdminMixin

PREVIEW_MAX_CHARS = 100_000


@admin.register(KbCategory)
class KbCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position"]
    list_editable = ["position"]
    list_filter = ["parent"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]


@admin.register(KbArticle)
class KbArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "language",
        "status",
        "translation_of",
        "updated_at",
        "view_count",
        "views_before_chat",
        "asked_agent_count",
        "deflection_rate",
        "helpful_votes",
    ]
    list_filter = ["status", "language", "category", "updated_at"]
    list_select_related = ["category", "translation_of"]
    search_fields = ["title", "body", "keywords", "tags"]
    date_hierarchy = "updated_at"
    autocomplete_fields = ["category", "translation_of"]
    readonly_fields = ["preview", "author", "source_ticket", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "category", "language", "status", "translation_of"]}),
        (_("Content"), {"fields": ["body", "preview", "tags", "keywords"]}),
        (_("History"), {"fields": ["author", "source_ticket", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KbArticle]:
        """Self-service figures of each article from its widget views (desk/kb/deflection.py),
        counted in the list's one query: views, those before a chat, settled views whose
        customer still wrote, and the deflection rate (settled views without a chat after)."""
        views = "views"
        settled = Q(views__asked_agent__isnull=False)
        deflected = Count(views, filter=Q(views__asked_agent=False))
        return (
            super()
            .get_queryset(request)
            .annotate(
                kb_views=Count(views),
                kb_before_chat=Count(views, filter=Q(views__before_conversation=True)),
                kb_asked=Count(views, filter=Q(views__asked_agent=True)),
                kb_settled=Count(views, filter=settled),
                kb_helpful=Count(views, filter=Q(views__helpful=True)),
                kb_unhelpful=Count(views, filter=Q(views__helpful=False)),
                kb_deflection=Cast(deflected, FloatField())
                / NullIf(Cast(F("kb_settled"), FloatField()), 0.0),
            )
        )

    @admin.display(description=_("views"), ordering="kb_views")
    def view_count(self, obj: KbArticle) -> int:
        return obj.kb_views

    @admin.display(description=_("views before a chat"), ordering="kb_before_chat")
    def views_before_chat(self, obj: KbArticle) -> int:
        return obj.kb_before_chat

    @admin.display(description=_("still asked for an agent"), ordering="kb_asked")
    def asked_agent_count(self, obj: KbArticle) -> int:
        return obj.kb_asked

    @admin.display(description=_("deflection rate"), ordering="kb_deflection")
    def deflection_rate(self, obj: KbArticle) -> str:
        """Settled views whose customer did not write within 30 minutes, of all settled."""
        if obj.kb_deflection is None:
            return "–"
        return f"{obj.kb_deflection:.0%}"

    @admin.display(description=_("helpful / not helpful"), ordering="kb_helpful")
    def helpful_votes(self, obj: KbArticle) -> str:
        return f"{obj.kb_helpful} / {obj.kb_unhelpful}"

    class Media:
        js = [Script("desk/kb_preview.js", type="module")]
        css = {"all": ["desk/kb.css"]}

    @admin.display(description=_("Preview"))
    def preview(self, obj: KbArticle) -> str:
        """The body as agents and customers see it (markdown-it, then nh3): as saved, then as
        typed (desk/kb_preview.js asks `preview/`)."""
        url = reverse("admin:desk_kbarticle_preview")
        html = mark_safe(obj.body_html) if obj.pk else ""  # noqa: S308 (sanitised by nh3)
        return format_html('<div class="kb-article-body" data-kb-preview="{}">{}</div>', url, html)

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="desk_kbarticle_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """`POST body=<Markdown>` → `{"html"}`: the body rendered and sanitised."""
        if request.method != "POST":
            return JsonResponse({"error": "method_not_allowed"}, status=405)
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        source = request.POST.get("body", "")
        if len(source) > PREVIEW_MAX_CHARS:
            return JsonResponse({"error": "too_long"}, status=400)
        return JsonResponse({"html": markdown_html(source)})

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(ArticleView)
class ArticleViewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each article a widget visitor opened; settled by the beat sweep after 30 minutes."""

    list_display = [
        "viewed_at",
        "article",
        "site",
        "customer",
        "before_conversation",
        "asked_agent",
        "helpful",
    ]
    list_filter = ["before_conversation", "asked_agent", "helpful", "site"]
    list_select_related = ["article", "site", "customer"]
    date_hierarchy = "viewed_at"


class CannedReplyUsageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CannedReplyUsage
    fields = ["topic", "count", "last_used_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Replies agents insert with `/shortcut`. The scope decides who may use one: its owner
    (personal), a team's agents (team) or everyone (global); the model's `clean` refuses an owner
    or a team that does not fit the scope, with a message on the field."""

    list_display = ["shortcut", "title", "language", "scope", "team", "owner", "usage_count"]
    list_filter = ["scope", "team", "language"]
    list_select_related = ["team", "owner", "created_by"]
    search_fields = ["shortcut", "title", "body"]
    autocomplete_fields = ["team", "owner"]
    fields = [
        "shortcut",
        "title",
        "body",
        "language",
        "scope",
        "team",
        "owner",
        "usage_count",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["usage_count", "created_by", "created_at", "updated_at"]
    inlines = [CannedReplyUsageInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CannedReplyUsage)
class CannedReplyUsageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """How often each reply was used per topic (the composer's ranking), written by
    `desk.canned.services.canned_reply_use`."""

    list_display = ["reply", "topic", "count", "last_used_at"]
    list_filter = ["last_used_at"]
    list_select_related = ["reply"]
    search_fields = ["reply__shortcut", "reply__title", "topic"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Agents' notifications (the workspace's bell), written by `desk.notifications.services`."""

    list_display = ["created_at", "recipient", "kind", "ticket", "actor_name", "read_at"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["recipient", "ticket"]
    search_fields = ["recipient__username", "actor_name", "excerpt", "ticket__number"]
    date_hierarchy = "created_at"


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("To be handled")),
            ("failed", _("Failed (no more retries)")),
            ("done", _("Handled")),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        given_up = Q(attempts__gte=settings.DOMAIN_EVENT_MAX_ATTEMPTS)
        if self.value() == "pending":
            return queryset.filter(Q(done_at=None) & ~given_up)
        if self.value() == "failed":
            return queryset.filter(given_up, done_at=None)
        if self.value() == "done":
            return queryset.exclude(done_at=None)
        return queryset


class HandledEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = HandledEvent
    fields = ["handler", "handled_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The domain-event outbox (desk/kernel/domain_events): what is still to handle, what failed
    for good (with its last error), what is done. Rows are written by `domain_events.record()`."""

    list_display = [
        "id",
        "type",
        "created_at",
        "attempts",
        "next_attempt_at",
        "done_at",
        "conversation_id",
        "message_id",
        "ticket_id",
    ]
    list_filter = [OutboxStateFilter, "type", "created_at"]
    search_fields = ["=id", "type", "=conversation_id", "=message_id", "=ticket_id"]
    date_hierarchy = "created_at"
    inlines = [HandledEventInline]
