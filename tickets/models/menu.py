"""The widget menu (转工单 way 3): options a visitor picks (报修, 退换货, 发票 …), each with a short
form; the answers become a ticket with the option's category, priority, team and tags."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.preset import TicketPreset

MAX_ANSWER_CHARS = 1000


class QuestionKind(models.TextChoices):
    TEXT = "text", _("One line of text")
    TEXTAREA = "textarea", _("Several lines of text")
    CHOICE = "choice", _("One of a list")


class WidgetMenuOption(TicketPreset):
    """One entry of a widget site's menu, shown in `position` order while active."""

    site = models.ForeignKey(
        "chat.WidgetSite",
        on_delete=models.CASCADE,
        related_name="menu_options",
        verbose_name=_("site"),
    )
    label_zh = models.CharField(_("label (Chinese)"), max_length=40)
    label_en = models.CharField(_("label (English)"), max_length=40)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["site", "position", "id"]
        verbose_name = _("widget menu option")
        verbose_name_plural = _("widget menu options")

    def __str__(self) -> str:
        return f"{self.label_zh} / {self.label_en}"


class WidgetMenuQuestion(models.Model):
    """One field of an option's form; its answer is stored under `key`."""

    option = models.ForeignKey(
        WidgetMenuOption,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("menu option"),
    )
    key = models.SlugField(
        _("key"), max_length=40, help_text=_("Names the answer in the ticket's custom fields.")
    )
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT
    )
    choices = models.TextField(_("choices"), blank=True, help_text=_("One per line."))
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("menu question")
        verbose_name_plural = _("menu questions")
        constraints = [
            models.UniqueConstraint(fields=["option", "key"], name="widget_menu_question_key")
        ]

    def __str__(self) -> str:
        return f"{self.label_zh} / {self.label_en}"

    def clean(self) -> None:
        super().clean()
        if self.kind == QuestionKind.CHOICE and not self.choice_list():
            raise ValidationError({"choices": _("List at least one choice, one per line.")})

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]
