"""The outbox: one row per domain event, and one marker per handler that has handled it.

Rows are written by `domain_events.record()` inside the transaction of the change they describe
and read by the dispatcher (`dispatch.py`); nothing else writes them. The ids are plain integers,
not foreign keys: the kernel is the bottom layer and knows no conversation or ticket table, and an
event outlives a row deleted after it."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("event type"), max_length=64)
    conversation_id = models.BigIntegerField(_("conversation ID"), null=True, blank=True)
    message_id = models.BigIntegerField(_("message ID"), null=True, blank=True)
    ticket_id = models.BigIntegerField(_("ticket ID"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The sweep's due time (house rule 7): a few seconds after creation (the immediate dispatch
    # goes first), then the retry backoff or a sweep's lease.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        app_label = "desk"
        ordering = ["-id"]
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        indexes = [
            # Only events still to handle: the sweep's query stays small however many are done.
            models.Index(
                fields=["next_attempt_at"], condition=Q(done_at__isnull=True), name="outbox_due"
            ),
            models.Index(
                fields=["done_at"], condition=Q(done_at__isnull=False), name="outbox_done"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"


class HandledEvent(models.Model):
    """`handler` has handled `event` (committed in the handler's own transaction): the
    idempotency marker. A second dispatch of the event skips that handler."""

    event = models.ForeignKey(
        OutboxEvent,
        on_delete=models.CASCADE,
        related_name="handled",
        verbose_name=_("domain event"),
    )
    handler = models.CharField(_("handler"), max_length=200)
    handled_at = models.DateTimeField(_("handled at"), default=timezone.now)

    class Meta:
        app_label = "desk"
        verbose_name = _("handled domain event")
        verbose_name_plural = _("handled domain events")
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="handled_event_once")
        ]

    def __str__(self) -> str:
        return f"#{self.event_id} {self.handler}"
