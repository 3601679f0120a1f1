"""Agent notifications: someone mentioned you, a customer replied on your ticket, a ticket was
given to you. Written by `desk.notifications.services` only; the bell in the workspace reads
them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

EXCERPT_MAX = 200


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    TICKET_REPLY = "ticket_reply", _("Customer reply")
    TICKET_ASSIGNED = "ticket_assigned", _("Ticket assigned")
    TICKET_CREATED = "ticket_created", _("Ticket made from your conversation")
    SLA_WARNING = "sla_warning", _("SLA at risk")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    AUTOMATION = "automation", _("Automation rule")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    conversation = models.ForeignKey(
        "chat.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conversation"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(
        _("actor name"),
        max_length=150,
        blank=True,
        help_text=_("Who caused it, as they were called then (an agent or a customer)."),
    )
    excerpt = models.CharField(_("excerpt"), max_length=EXCERPT_MAX, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"
