"""Offline assistance (issue 13): the category classifier's trained versions, and each
category's fallback keywords (tickets/assist/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.ticket import Category
from tickets.models.trigger import split_keywords


class CategoryClassifier(models.Model):
    """One trained version of the category classifier; the newest one is used. The model is the
    joblib bytes of a scikit-learn pipeline, never a file."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    model = models.BinaryField(_("model"))
    sample_count = models.PositiveIntegerField(_("samples"))
    class_counts = models.JSONField(_("samples per category"), default=dict)
    accuracy = models.FloatField(_("held-out accuracy"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("category classifier")
        verbose_name_plural = _("category classifiers")

    def __str__(self) -> str:
        return f"v{self.version}"


class CategoryKeywords(models.Model):
    """Words that name a category when the classifier is untrained or unsure."""

    category = models.OneToOneField(
        Category,
        on_delete=models.CASCADE,
        related_name="assist_keywords",
        verbose_name=_("category"),
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("Words the customer writes about this category, one per line or separated "
                    "by commas (发票, invoice)."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("category keywords")
        verbose_name_plural = _("category keywords")

    def __str__(self) -> str:
        return str(self.category)

    def words(self) -> list[str]:
        return split_keywords(self.keywords)
