"""Who passed on an offered conversation (offer mode, chat/assignment/offers.py): one row per
conversation and agent, so the conversation is never offered to them again."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferDeclineReason(models.TextChoices):
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Not answered in time")
    OFFLINE = "offline", _("Went offline")


class OfferDecline(models.Model):
    conversation = models.ForeignKey(
        "chat.Conversation",
        on_delete=models.CASCADE,
        related_name="offer_declines",
        verbose_name=_("conversation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("agent"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=OfferDeclineReason.choices)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        app_label = "chat"
        verbose_name = _("declined offer")
        verbose_name_plural = _("declined offers")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="offer_decline_once_per_agent"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} · {self.user_id} ({self.reason})"
