"""Supervisor's admin for the widget menu (转工单 way 3): options with their questions inline, and
the options inline on their site: tickets extends chat's site admin (chat is below tickets and
cannot import this module), re-registering `WidgetSite` with the menu inline."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from chat.admin import WidgetSiteAdmin
from chat.models import WidgetSite
from tickets.models.menu import WidgetMenuOption, WidgetMenuQuestion


class QuestionFormSet(forms.BaseInlineFormSet):
    """Each key once per option (the answers are stored under it)."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            key = form.cleaned_data.get("key")
            if key and key in seen:
                form.add_error("key", _("Another question of this option has this key."))
            seen.add(key)


class WidgetMenuQuestionInline(admin.TabularInline):
    """The option's form, question by question, in `position` order."""

    model = WidgetMenuQuestion
    formset = QuestionFormSet
    extra = 1
    fields = ["position", "key", "label_zh", "label_en", "kind", "choices", "required"]
    ordering = ["position", "id"]


class WidgetMenuOptionInline(admin.TabularInline):
    """A site's menu on the site's page (`WidgetSiteWithMenuAdmin`), in the order the widget shows
    it; each option's tickets values and questions are edited on the option's own page."""

    model = WidgetMenuOption
    fk_name = "site"
    fields = ["position", "label_zh", "label_en", "is_active"]
    ordering = ["position", "id"]
    extra = 0
    show_change_link = True
    verbose_name_plural = _("Widget menu")


admin.site.unregister(WidgetSite)  # chat's registration (imported above), extended here


@admin.register(WidgetSite)
class WidgetSiteWithMenuAdmin(WidgetSiteAdmin):
    """chat's site admin with the site's widget menu inline, each option linked."""

    inlines = [*WidgetSiteAdmin.inlines, WidgetMenuOptionInline]


@admin.register(WidgetMenuOption)
class WidgetMenuOptionAdmin(admin.ModelAdmin):
    """Changes reach the widget on its next session (the menu is part of the site's config). The
    questions are edited here, inline: they have no list of their own."""

    list_display = [
        "label_zh",
        "label_en",
        "site",
        "is_active",
        "position",
        "question_count",
        "priority",
        "team",
    ]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "site", "priority", "team"]
    list_select_related = ["site", "team"]
    search_fields = ["label_zh", "label_en"]
    autocomplete_fields = ["site", "category", "team"]
    filter_horizontal = ["tags"]
    inlines = [WidgetMenuQuestionInline]
    fieldsets = [
        (_("Menu option"), {"fields": ["site", "label_zh", "label_en", "position", "is_active"]}),
        (
            _("A ticket is created"),
            {
                "fields": ["priority", "category", "tags", "team"],
                "description": _(
                    "When a customer picks this option and sends its questions' form, a ticket "
                    "is created with these values; the answers go into its custom fields."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=_("menu questions"), ordering="question_total")
    def question_count(self, obj: WidgetMenuOption) -> int:
        return obj.question_total
