"""Channel accounts, the raw events their webhooks deliver, and the replies going out to them."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.channels.secret_box import secrets_decrypt, secrets_encrypt


def new_account_key() -> str:
    """The account's part of its webhook URL: unguessable, URL-safe."""
    return secrets.token_urlsafe(16)


def new_webhook_secret(channel: str = "telegram") -> str:
    """Telegram allows 1-256 characters of A-Z, a-z, 0-9, `_` and `-`; WeChat's Token 3-32
    letters and digits."""
    return secrets.token_hex(16) if channel == "wechat" else secrets.token_urlsafe(32)


class AccountChannel(models.TextChoices):
    """The channels whose accounts are configured here (the values of `chat.models.Channel`)."""

    TELEGRAM = "telegram", _("Telegram")
    WECHAT = "wechat", _("WeChat")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ChannelAccount(models.Model):
    """One provider account (a Telegram bot; later a WeChat official account, a WhatsApp
    number): its webhook URL carries `key`, its secrets are encrypted (secret_box.py), and its
    conversations go to `team`."""

    channel = models.CharField(
        _("channel"), max_length=16, choices=AccountChannel.choices, default=AccountChannel.TELEGRAM
    )
    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(
        _("webhook key"), max_length=40, unique=True, default=new_account_key, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="channel_accounts",
        verbose_name=_("team"),
        help_text=_("The team that gets this account's conversations (none: every agent)."),
    )
    secrets_encrypted = models.TextField(_("secrets (encrypted)"), blank=True, editable=False)
    webhook_registered_at = models.DateTimeField(_("webhook registered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")

    def __str__(self) -> str:
        return f"{self.name} ({self.channel})"

    @property
    def secrets(self) -> dict[str, str]:
        return secrets_decrypt(self.secrets_encrypted)

    def set_secrets(self, **values: str) -> None:
        """Replace the named secrets (others are kept); the caller saves."""
        self.secrets_encrypted = secrets_encrypt({**self.secrets, **values})


class InboundEvent(models.Model):
    """One provider request, stored as received before anything is made of it: the webhook's
    only write, so the provider hears 200 at once and a crash while processing loses nothing
    (the sweep processes it again)."""

    account = models.ForeignKey(
        ChannelAccount, on_delete=models.CASCADE, related_name="events", verbose_name=_("account")
    )
    provider_event_id = models.CharField(_("provider event ID"), max_length=191)
    body = models.JSONField(_("body"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_event_id"], name="inbound_event_account_provider_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(processed_at__isnull=True),
                name="inbound_event_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.provider_event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundDelivery(models.Model):
    """An agent's reply on its way to the provider: sent by a task after commit, retried with
    backoff when the provider or the network fails (the sweep takes the due ones), failed with
    its reason when the provider refuses it or the attempts run out."""

    message = models.OneToOneField(
        "chat.Message",
        on_delete=models.CASCADE,
        related_name="outbound_delivery",
        verbose_name=_("message"),
    )
    account = models.ForeignKey(
        ChannelAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("account"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=191, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retried by"),
    )
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbound delivery")
        verbose_name_plural = _("outbound deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbound_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class EarlyReceipt(models.Model):
    """A provider's delivery status for a reply whose provider id is not recorded yet: the
    provider may call the status webhook before its answer to the send reaches us. Kept here
    and applied when the send records the id (chat/channels/receipts.py); the sweep drops the
    ones nobody claimed after `EARLY_RECEIPT_KEEP` (a reply sent from elsewhere)."""

    channel = models.CharField(_("channel"), max_length=20)
    provider_message_id = models.CharField(_("provider message ID"), max_length=191)
    state = models.CharField(_("state"), max_length=10)
    code = models.CharField(_("error code"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("early delivery status")
        verbose_name_plural = _("early delivery statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id", "state"], name="early_receipt_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_message_id} {self.state}"
