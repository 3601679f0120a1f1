"""Supervisor-set automation of 转工单 way 4 (the timer), one row for the whole desk."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

WAITING_MINUTES_MAX = 7 * 24 * 60  # a week
SINGLETON_PK = 1


def default_waiting_minutes() -> int:
    """Before a supervisor saves the settings: the TICKET_AFTER_WAITING_MINUTES variable."""
    return settings.TICKET_AFTER_WAITING_MINUTES


class TicketAutomation(models.Model):
    """The only row has pk 1 (`ticket_automation_current` reads it; the admin edits it)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    waiting_minutes = models.PositiveIntegerField(
        _("ticket after waiting (minutes)"),
        default=default_waiting_minutes,
        validators=[MaxValueValidator(WAITING_MINUTES_MAX)],
        help_text=_(
            "A conversation that no agent has answered for this many minutes becomes a ticket, "
            "so no customer is forgotten. 0: never."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket automation")
        verbose_name_plural = _("ticket automation")
        constraints = [
            models.CheckConstraint(condition=Q(id=SINGLETON_PK), name="ticket_automation_single")
        ]

    def __str__(self) -> str:
        return str(_("Ticket automation"))
