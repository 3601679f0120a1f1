"""What a 转工单 rule gives the ticket it makes (keyword triggers and widget menu options)."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from desk.kernel.choices import Priority


class TicketPreset(models.Model):
    """Category, tags, priority and team for the tickets a rule creates."""

    category = models.ForeignKey(
        "tickets.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField(
        "tickets.Tag", blank=True, related_name="+", verbose_name=_("tags")
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.P2
    )
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Empty: the conversation's team."),
    )

    class Meta:
        abstract = True

    def preset_fields(self) -> dict[str, Any]:
        """The `TicketData` fields this rule sets."""
        return {
            "priority": self.priority,
            "category": self.category,
            "tags": [tag.name for tag in self.tags.all()],
            "team": self.team,
        }
