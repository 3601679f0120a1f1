"""Tickets and their append-only timeline (SLA policies and calendars: tickets/models/sla.py)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from desk.kernel.choices import Priority
from tickets.models.sla import SlaPolicy


class TicketStatus(models.TextChoices):
    # 新建/已受理/处理中/待反馈/已解决/已关闭: the context keeps them apart from chat's words.
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    PENDING = "pending", pgettext_lazy("ticket status", "Pending customer")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


class TicketSource(models.TextChoices):
    """How a ticket came to be: by hand, or which 转工单 trigger turned a conversation into it."""

    MANUAL = "manual", _("Created directly")
    BUTTON = "button", _("Ticket button")
    KEYWORD = "keyword", _("Keyword trigger")
    MENU = "menu", _("Widget menu")
    TIMEOUT = "timeout", _("No reply in time")
    UNRESOLVED = "unresolved", _("Marked unresolved")
    OFFLINE = "offline", _("No agent online")


CSAT_MIN, CSAT_MAX = 1, 5


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.P2
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    requester = models.ForeignKey(
        "chat.Customer",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("requester"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    conversation = models.ForeignKey(
        "chat.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("source conversation"),
    )
    source = models.CharField(
        _("source"), max_length=12, choices=TicketSource.choices, default=TicketSource.MANUAL
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_tickets",
        verbose_name=_("merged into"),
    )
    related = models.ManyToManyField(
        "self", symmetrical=True, blank=True, verbose_name=_("related tickets")
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("SLA policy"),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    customer_waiting_since = models.DateTimeField(
        _("customer waiting since"),
        null=True,
        blank=True,
        help_text=_("When the customer's oldest reply that no agent has answered yet came in."),
    )
    next_response_due_at = models.DateTimeField(_("next response due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(
        _("SLA clock paused at"),
        null=True,
        blank=True,
        help_text=_("Set while the clock stands still: waiting for the customer, or resolved."),
    )
    status_changed_at = models.DateTimeField(
        _("status changed at"),
        null=True,
        blank=True,
        help_text=_("The last change of status; empty: never changed since it was made."),
    )
    customer_replied_at = models.DateTimeField(_("customer last replied at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    csat_score = models.PositiveSmallIntegerField(
        _("satisfaction score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(CSAT_MIN), MaxValueValidator(CSAT_MAX)],
    )
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    csat_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "priority"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["resolution_due_at"]),
            models.Index(fields=["first_response_due_at"]),
            models.Index(fields=["next_response_due_at"]),
            models.Index(fields=["conversation", "status"]),
            # the automation rules' time triggers
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["status", "customer_replied_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True)
                | Q(csat_score__gte=CSAT_MIN, csat_score__lte=CSAT_MAX),
                name="ticket_csat_score_range",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=models.F("pk")),
                name="ticket_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketNumberSequence(models.Model):
    """One row per day; a conditional `UPDATE … SET last = last + 1` hands out numbers."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
        verbose_name_plural = _("ticket number sequences")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    COMMENT = "comment", _("Public reply")
    NOTE = "note", _("Internal note")
    STATUS = "status", _("Status changed")
    ASSIGNMENT = "assignment", _("Assignment changed")
    PRIORITY = "priority", _("Priority changed")
    SLA = "sla", _("SLA event")
    SYSTEM = "system", _("System")


class TicketSystemAction(models.TextChoices):
    """What a `system` event records; the UI words it in the reader's language."""

    MERGED_INTO = "merged_into", _("Merged into another ticket")
    MERGED_FROM = "merged_from", _("Another ticket was merged into this one")
    LINKED = "linked", _("Linked to a related ticket")
    RATED = "rated", _("Rated by the customer")
    TRIGGERED = "triggered", _("Created by a keyword trigger")
    TAGGED = "tagged", _("Tag added")
    TAG_REMOVED = "tag_removed", _("Tag removed")
    TEAM_CHANGED = "team_changed", _("Team changed")
    CATEGORY_CHANGED = "category_changed", _("Category changed")
    SUBJECT_CHANGED = "subject_changed", _("Subject changed")
    FIELD_CHANGED = "field_changed", _("Custom field changed")
    SLA_RECOMPUTED = "sla_recomputed", _("SLA due times recomputed")
    SLA_BREACHED = "sla_breached", _("SLA target breached")
    NOTIFIED = "notified", _("Notification sent by an automation rule")
    NOTICE_HELD = "notice_held", _("Notification held until the team opens")


class TicketEvent(models.Model):
    """The ticket's append-only timeline: rows are written once and never changed."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TicketEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_customer = models.ForeignKey(
        "chat.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer actor"),
    )
    action = models.CharField(
        _("action"), max_length=16, choices=TicketSystemAction.choices, blank=True
    )
    body = models.TextField(_("body"), blank=True)
    old_value = models.CharField(_("old value"), max_length=200, blank=True)
    new_value = models.CharField(_("new value"), max_length=200, blank=True)
    message = models.ForeignKey(
        "chat.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat message"),
        help_text=_("The chat message this event came from or was sent as."),
    )
    rule_name = models.CharField(
        _("automation rule"),
        max_length=100,
        blank=True,
        help_text=_("The automation rule that did it, as it was named then."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        constraints = [
            # A customer message lands on a ticket's timeline once, however often it is offered.
            models.UniqueConstraint(
                fields=["ticket", "message"],
                condition=Q(message__isnull=False),
                name="ticket_event_once_per_message",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Ticket events are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ticket events are append-only."))


class TicketView(models.Model):
    """An agent's saved ticket list filters (the ticket list's query, minus paging)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ticket_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["owner", "position", "id"]
        verbose_name = _("saved ticket view")
        verbose_name_plural = _("saved ticket views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="ticket_view_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
