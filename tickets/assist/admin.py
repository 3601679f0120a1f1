"""The supervisor's side of the category classifier: its trained versions with their accuracy,
a button (and an action) that queues retraining, and each category's fallback keywords (inline
on the category, tickets/admin.py)."""

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template.defaultfilters import floatformat
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from tickets import tasks
from tickets.models import CategoryClassifier, CategoryKeywords


class CategoryKeywordsInline(admin.StackedInline):
    model = CategoryKeywords
    extra = 0
    max_num = 1
    can_delete = True
    verbose_name = _("classifier keywords")


def classifier_retrain_queue(request: HttpRequest) -> None:
    transaction.on_commit(tasks.category_classifier_train.delay)
    messages.info(
        request,
        _("Retraining is queued: a new version appears here when it is done (it needs at least "
          "20 resolved tickets with a category)."),
    )  # fmt: skip


@admin.register(CategoryClassifier)
class CategoryClassifierAdmin(admin.ModelAdmin):
    change_list_template = "admin/tickets/categoryclassifier/change_list.html"
    list_display = ["version", "trained_at", "sample_count", "accuracy_percent", "categories"]
    readonly_fields = ["version", "trained_at", "sample_count", "class_counts", "accuracy"]
    exclude = ["model"]
    actions = ["retrain"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("held-out accuracy"))
    def accuracy_percent(self, obj: CategoryClassifier) -> str:
        return "—" if obj.accuracy is None else f"{floatformat(obj.accuracy * 100, 1)}%"

    @admin.display(description=_("samples per category"))
    def categories(self, obj: CategoryClassifier) -> str:
        return ", ".join(f"{name} {count}" for name, count in (obj.class_counts or {}).items())

    @admin.action(description=_("Retrain the classifier from the resolved tickets"))
    def retrain(self, request, queryset) -> None:
        classifier_retrain_queue(request)

    def get_urls(self):
        return [
            path(
                "retrain/",
                self.admin_site.admin_view(self.retrain_view),
                name="tickets_categoryclassifier_retrain",
            ),
            *super().get_urls(),
        ]

    def retrain_view(self, request: HttpRequest) -> HttpResponseRedirect:
        """The change list's button (POST only): queue retraining, come back to the list."""
        if request.method == "POST" and self.has_view_permission(request):
            classifier_retrain_queue(request)
        return HttpResponseRedirect(reverse("admin:tickets_categoryclassifier_changelist"))
