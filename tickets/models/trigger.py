"""Keyword triggers (转工单 way 2): supervisor rules that turn a customer's words into a ticket."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.preset import TicketPreset

MAX_PATTERN_CHARS = 200
# Splits a keyword list: new lines, ASCII or Chinese commas, the Chinese enumeration comma.
KEYWORD_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


class TriggerMatch(models.TextChoices):
    KEYWORDS = "keywords", _("Any of the keywords")
    REGEX = "regex", _("Regular expression")


def split_keywords(text: str) -> list[str]:
    return [word.strip() for word in KEYWORD_SEPARATORS.split(text or "") if word.strip()]


class KeywordTrigger(TicketPreset):
    """Matched against every new customer message, in `position` order; the first active rule
    that matches creates a ticket for the conversation (one open ticket per conversation)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    match = models.CharField(
        _("match"), max_length=10, choices=TriggerMatch.choices, default=TriggerMatch.KEYWORDS
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "One per line or separated by commas, e.g. 退款, 投诉, 故障, refund. A message "
            "containing any of them matches (upper and lower case are the same)."
        ),
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=MAX_PATTERN_CHARS,
        blank=True,
        help_text=_("A Python regular expression, searched case-insensitively."),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("keyword trigger")
        verbose_name_plural = _("keyword triggers")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.match == TriggerMatch.KEYWORDS:
            if not split_keywords(self.keywords):
                raise ValidationError({"keywords": _("Give at least one keyword.")})
        else:
            if not self.pattern.strip():
                raise ValidationError({"pattern": _("Give a regular expression.")})
            try:
                compiled = re.compile(self.pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValidationError(
                    {
                        "pattern": _("This is not a valid regular expression: %(error)s")
                        % {"error": exc}
                    }
                ) from exc
            if compiled.search(""):
                raise ValidationError(
                    {"pattern": _("The expression matches an empty message, so it matches all.")}
                )

    def matches(self, text: str) -> bool:
        if self.match == TriggerMatch.KEYWORDS:
            folded = text.casefold()
            return any(word.casefold() in folded for word in split_keywords(self.keywords))
        try:
            return re.search(self.pattern, text, re.IGNORECASE) is not None
        except re.error:  # saved around the form (a shell, a fixture): never break a message
            return False
