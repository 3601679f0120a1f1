"""Customers, their identities per channel, conversations, messages and attachments."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from desk.kernel.choices import Priority


class Channel(models.TextChoices):
    WEB = "web", _("Web widget")
    APP = "app", _("Mobile app")
    WECHAT = "wechat", _("WeChat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("Email")


class IdentityKind(models.TextChoices):
    WEB_VISITOR = "web_visitor", _("Web visitor ID")
    APP_USER = "app_user", _("App user ID")
    SITE_USER = "site_user", _("Site user ID")
    WECHAT_OPENID = "wechat_openid", _("WeChat OpenID")
    WECHAT_UNIONID = "wechat_unionid", _("WeChat UnionID")
    WHATSAPP = "whatsapp", _("WhatsApp number")
    TELEGRAM = "telegram", _("Telegram user ID")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class Customer(models.Model):
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    vip_level = models.PositiveSmallIntegerField(
        _("VIP level"), default=0, validators=[MaxValueValidator(9)]
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


class CustomerIdentity(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    external_id = models.CharField(_("external ID"), max_length=255)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "external_id"]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "external_id"], name="identity_kind_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.external_id}"


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting")
    CLOSED = "closed", _("Closed")


class Conversation(models.Model):
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="conversations",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConversationStatus.choices,
        default=ConversationStatus.WAITING,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("team"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.P2
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    last_seq = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    unread_by_agent = models.PositiveIntegerField(_("unread by agent"), default=0)
    unread_by_customer = models.PositiveIntegerField(_("unread by customer"), default=0)
    # Context captured when the conversation starts.
    device = models.CharField(_("device"), max_length=100, blank=True)
    os = models.CharField(_("operating system"), max_length=100, blank=True)
    browser = models.CharField(_("browser"), max_length=100, blank=True)
    app_version = models.CharField(_("app version"), max_length=50, blank=True)
    network_type = models.CharField(_("network type"), max_length=30, blank=True)
    page_url = models.URLField(_("page URL"), max_length=2000, blank=True)
    page_title = models.CharField(_("page title"), max_length=300, blank=True)
    referrer = models.URLField(_("referrer"), max_length=2000, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    widget_site = models.ForeignKey(
        "chat.WidgetSite",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("widget site"),
    )
    # The provider account it came through (a Telegram bot …; chat/channels): replies go back
    # through it. None for the widget and the app.
    channel_account = models.ForeignKey(
        "chat.ChannelAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("channel account"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The first-response SLA clock of the current wait (set and cleared after commit by the
    # tickets layer, tickets/sla/conversations.py; null while nobody waits or no policy applies).
    sla_started_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(_("first response at risk from"), null=True, blank=True)
    # When routing first found nobody with room (chat/assignment): from then on the queue's
    # drains give it out, and the customer's further messages cost routing nothing.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # What the routing rules decided before its first routing (chat/assignment/rules.py): only
    # agents with the skill at that level or above take it; `rules_checked_at` says they ran.
    required_skill = models.ForeignKey(
        "routing.Skill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("required skill"),
    )
    required_skill_level = models.PositiveSmallIntegerField(
        _("minimum skill level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    routing_rule = models.ForeignKey(
        "routing.RoutingRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("routing rule"),
    )
    rules_checked_at = models.DateTimeField(_("routing rules checked at"), null=True, blank=True)
    # When its wait outgrew the team's overflow time and the fallback team's agents became
    # eligible too (chat/assignment/overflow.py); it keeps its team.
    overflowed_at = models.DateTimeField(_("overflowed at"), null=True, blank=True)
    # Offline assistance (issue 13), kept after commit by tickets' message handler: the category
    # its classifier names for what the customer wrote, how sure it is (0–1), and whether the
    # customer sounds urgent or angry (chat/mood.py) with the words that said so.
    detected_category = models.CharField(_("detected category"), max_length=100, blank=True)
    category_confidence = models.FloatField(_("category confidence"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    angry = models.BooleanField(_("angry"), default=False)
    mood_words = models.JSONField(_("urgent or angry words"), default=list, blank=True)
    # Offer mode (chat/assignment/offers.py): the agent whose slot is reserved for it until
    # they accept, decline or the offer expires; it waits in the queue meanwhile.
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered to"),
    )
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["status", "-last_message_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(
                fields=["sla_due_at"],
                condition=models.Q(sla_due_at__isnull=False),
                name="conversation_sla_due",
            ),
            # The waiting queue (chat/assignment/selectors.py): open, nobody assigned, in order.
            models.Index(
                fields=["team", "priority", "created_at", "id"],
                condition=Q(assignee__isnull=True) & ~Q(status="closed"),
                name="conversation_queue",
            ),
            # The offer sweep (chat/assignment/offers.py): pending offers by due time.
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(offer_expires_at__isnull=False),
                name="conversation_offer_due",
            ),
            # The overflow sweep (chat/assignment/overflow.py): per team, waiting since when.
            models.Index(
                fields=["team", "queued_at"],
                condition=Q(
                    overflowed_at__isnull=True, queued_at__isnull=False, assignee__isnull=True
                )
                & ~Q(status="closed"),
                name="conversation_overflow_wait",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_channel_display()} · {self.customer}"


class SenderType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class ContentType(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    FILE = "file", _("File")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    CARD = "card", _("Rich card")
    EVENT = "event", _("System event")
    TICKET = "ticket", _("Ticket update")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Sending")  # a reply on its way to a provider (chat/channels)
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
    )
    seq = models.PositiveBigIntegerField(_("sequence number"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    sender_type = models.CharField(_("sender"), max_length=10, choices=SenderType.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    content_type = models.CharField(
        _("content type"), max_length=10, choices=ContentType.choices, default=ContentType.TEXT
    )
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    is_internal = models.BooleanField(_("internal note"), default=False)
    client_msg_id = models.CharField(_("client message ID"), max_length=64, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=191, blank=True)
    delivery_state = models.CharField(
        _("delivery state"),
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.SENT,
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        # By the column, not the relation: "conversation" would order by the conversation's own
        # ordering, a JOIN in every query of messages that does not choose its order.
        ordering = ["conversation_id", "seq"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"], name="message_conversation_seq"
            ),
            # A resend is the same sender's `client_msg_id` (services._existing_message): one
            # row per id for the customer side, one per id for each agent (or bot/system).
            models.UniqueConstraint(
                fields=["conversation", "client_msg_id"],
                condition=~Q(client_msg_id="") & Q(sender_type="customer"),
                name="message_conversation_customer_client_msg_id",
            ),
            models.UniqueConstraint(
                fields=["conversation", "sender_type", "sender_user", "client_msg_id"],
                condition=~Q(client_msg_id="") & ~Q(sender_type="customer"),
                name="message_conversation_sender_client_msg_id",
            ),
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_channel_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.sender_type}"


class Attachment(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("conversation"),
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("message"),
    )
    # Who uploaded it: only the same sender may put it into a message (the conversation's
    # customer, or that agent). Blank on uploads made before this was recorded.
    uploader_type = models.CharField(
        _("uploaded by"), max_length=10, choices=SenderType.choices, blank=True
    )
    uploader_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploading agent"),
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original name"), max_length=255)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            # The beat sweep of uploads never sent (services.attachments_sweep_unsent).
            models.Index(
                fields=["created_at"], condition=Q(message=None), name="attachment_unsent_created"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


# Who passed on an offered conversation (offer mode) lives with the assignment feature.
from chat.assignment.models import OfferDecline, OfferDeclineReason  # noqa: E402

# Messaging-provider accounts, their raw events and outbound deliveries (chat/channels).
from chat.channels.models import ChannelAccount, InboundEvent, OutboundDelivery  # noqa: E402

# The search row of a message lives with the search feature.
from chat.search.models import MessageTerm  # noqa: E402

# The embeddable widget's sites and visitors live in their own module.
from chat.widget.models import (  # noqa: E402
    PRECHAT_FIELDS,
    PrechatField,
    WidgetLanguage,
    WidgetSite,
    WidgetVisitor,
    new_widget_secret,
)

__all__ = [
    "PRECHAT_FIELDS",
    "Attachment",
    "Channel",
    "ChannelAccount",
    "ContentType",
    "Conversation",
    "ConversationStatus",
    "Customer",
    "CustomerIdentity",
    "DeliveryState",
    "IdentityKind",
    "InboundEvent",
    "Message",
    "MessageTerm",
    "OfferDecline",
    "OfferDeclineReason",
    "OutboundDelivery",
    "PrechatField",
    "SenderType",
    "WidgetLanguage",
    "WidgetSite",
    "WidgetVisitor",
    "new_widget_secret",
]
