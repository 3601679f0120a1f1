"""Supervisor's admin for the widget menu (转工单 way 3): options with their questions inline."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tickets.menu_models import WidgetMenuOption, WidgetMenuQuestion


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
    model = WidgetMenuQuestion
    formset = QuestionFormSet
    extra = 1
    fields = ["position", "key", "label_zh", "label_en", "kind", "choices", "required"]


@admin.register(WidgetMenuOption)
class WidgetMenuOptionAdmin(admin.ModelAdmin):
    """Changes reach the widget on its next session (the menu is part of the site's config)."""

    list_display = ["label_zh", "label_en", "site", "is_active", "position", "priority", "team"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "site", "priority", "team"]
    list_select_related = ["site", "team"]
    search_fields = ["label_zh", "label_en"]
    autocomplete_fields = ["site", "category", "team"]
    filter_horizontal = ["tags"]
    inlines = [WidgetMenuQuestionInline]


@admin.register(WidgetMenuQuestion)
class WidgetMenuQuestionAdmin(admin.ModelAdmin):
    list_display = ["label_zh", "label_en", "key", "kind", "required", "option"]
    list_filter = ["kind", "required"]
    list_select_related = ["option"]
    search_fields = ["label_zh", "label_en", "key"]
    raw_id_fields = ["option"]
