"""Automation rules a supervisor edits in the admin (what they do: tickets/automation/): a
trigger (an event, or hours since a moment of the ticket), conditions (empty: any) and actions,
tried in `position` order. `RuleExecution` is the once-only row of each firing; `TeamHours`
gives a team the calendar its escalation notices wait for; `HeldNotice` is a notice waiting for
its team to open."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.models import Channel
from desk.kernel.choices import Priority
from tickets.models.automation import WAITING_MINUTES_MAX
from tickets.models.sla import BusinessHours, SlaPolicy
from tickets.models.ticket import Category, Tag, Ticket, TicketStatus

RULE_HOURS_MAX = 24 * 365  # a year
RULE_TEXT_MAX = 2000


class RuleTrigger(models.TextChoices):
    # Event triggers: the domain event type itself.
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    CUSTOMER_REPLIED = "ticket.customer_replied", _("Customer replied")
    SLA_WARNING = "ticket.sla_warning", _("SLA warning")
    SLA_BREACHED = "ticket.sla_breached", _("SLA breach")
    # Time triggers: hours since a moment of the ticket.
    HOURS_SINCE_CREATED = "time.created", _("Hours since created")
    HOURS_SINCE_STATUS = "time.status", _("Hours since the last status change")
    HOURS_SINCE_CUSTOMER_REPLY = "time.customer_reply", _("Hours since the last customer reply")
    # A conversation no agent has answered for `minutes` becomes a ticket (转工单 way 4).
    CONVERSATION_WAITING = "conversation.waiting", _("Conversation waiting (minutes)")


EVENT_TRIGGERS = frozenset(
    {
        RuleTrigger.TICKET_CREATED,
        RuleTrigger.TICKET_UPDATED,
        RuleTrigger.CUSTOMER_REPLIED,
        RuleTrigger.SLA_WARNING,
        RuleTrigger.SLA_BREACHED,
    }
)
# The conditions only a ticket has: a "conversation waiting" rule (no ticket yet) may not have
# them (nor tags, checked by the admin's form); team, channel and VIP level it may.
TICKET_ONLY_CONDITIONS = ("if_status", "if_priority", "if_category", "if_assigned", "if_sla_policy")
# Time trigger -> the ticket field its hours count from.
TIME_TRIGGER_ANCHORS = {
    RuleTrigger.HOURS_SINCE_CREATED: "created_at",
    RuleTrigger.HOURS_SINCE_STATUS: "status_changed_at",
    RuleTrigger.HOURS_SINCE_CUSTOMER_REPLY: "customer_replied_at",
}


class Assigned(models.TextChoices):
    YES = "yes", _("Assigned")
    NO = "no", _("Not assigned")


class NotifyWhom(models.TextChoices):
    ASSIGNEE = "assignee", _("The assignee")
    TEAM = "team", _("The ticket's team")
    SUPERVISORS = "supervisors", _("The supervisors")


class AutomationRule(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Rules run in this order, lowest first.")
    )
    trigger = models.CharField(_("when"), max_length=24, choices=RuleTrigger.choices)
    hours = models.PositiveIntegerField(
        _("after (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(RULE_HOURS_MAX)],
        help_text=_("For the time triggers only: how many hours since that moment."),
    )
    minutes = models.PositiveIntegerField(
        _("after (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(WAITING_MINUTES_MAX)],
        help_text=_(
            "For “conversation waiting” only: a conversation that no agent has answered for this "
            "many minutes becomes a ticket, so no customer is forgotten. Empty: the "
            "TICKET_AFTER_WAITING_MINUTES setting (0 there: never)."
        ),
    )
    # ---- conditions (empty: any) ----
    if_status = models.CharField(
        _("if status is"), max_length=12, choices=TicketStatus.choices, blank=True
    )
    if_priority = models.PositiveSmallIntegerField(
        _("if priority is"), choices=Priority.choices, null=True, blank=True
    )
    if_team = models.ForeignKey(
        "routing.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("if team is"),
    )
    if_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("if category is"),
    )
    if_channel = models.CharField(
        _("if channel is"), max_length=16, choices=Channel.choices, blank=True
    )
    if_assigned = models.CharField(
        _("if assigned"), max_length=3, choices=Assigned.choices, blank=True
    )
    if_tags = models.ManyToManyField(
        Tag,
        blank=True,
        related_name="+",
        verbose_name=_("if it has one of the tags"),
    )
    if_min_vip_level = models.PositiveSmallIntegerField(
        _("if the customer's VIP level is at least"), null=True, blank=True
    )
    if_sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("if SLA policy is"),
        help_text=_("Escalation: an SLA breach rule for the tickets of one policy."),
    )
    # ---- actions (run in this order) ----
    set_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"agent_profile__isnull": False, "is_active": True},
        verbose_name=_("assign to"),
    )
    set_team = models.ForeignKey(
        "routing.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set team"),
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=Priority.choices, null=True, blank=True
    )
    raise_priority = models.BooleanField(
        _("raise priority one step"),
        default=False,
        help_text=_("P3 → P2 → P1 → P0; a P0 ticket stays P0."),
    )
    set_status = models.CharField(
        _("set status"), max_length=12, choices=TicketStatus.choices, blank=True
    )
    add_tags = models.ManyToManyField(Tag, blank=True, related_name="+", verbose_name=_("add tags"))
    internal_note = models.TextField(_("add internal note"), max_length=RULE_TEXT_MAX, blank=True)
    customer_reply = models.TextField(
        _("send reply to the customer"),
        max_length=RULE_TEXT_MAX,
        blank=True,
        help_text=_("A canned reply, sent as a public reply into the customer's chat."),
    )
    notify = models.CharField(_("notify"), max_length=12, choices=NotifyWhom.choices, blank=True)
    notify_text = models.CharField(
        _("notification text"),
        max_length=200,
        blank=True,
        help_text=_("Empty: the rule's name."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        indexes = [models.Index(fields=["trigger", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=1, hours__lte=RULE_HOURS_MAX),
                name="automation_rule_hours_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_time_rule(self) -> bool:
        return self.trigger in TIME_TRIGGER_ANCHORS

    @property
    def is_waiting_rule(self) -> bool:
        """Its action is making the ticket; the others then act on that ticket."""
        return self.trigger == RuleTrigger.CONVERSATION_WAITING

    def has_action(self) -> bool:
        """An action other than the tags (which live in a many-to-many the form checks)."""
        return bool(
            self.set_assignee_id
            or self.set_team_id
            or self.set_priority is not None
            or self.raise_priority
            or self.set_status
            or self.internal_note.strip()
            or self.customer_reply.strip()
            or self.notify
        )

    def clean(self) -> None:
        """Refuse a rule that cannot work; the admin's form adds the checks on the tags."""
        from tickets.transitions import transitions_from

        errors: dict[str, str] = {}
        if self.trigger in TIME_TRIGGER_ANCHORS and self.hours is None:
            errors["hours"] = _("A time trigger needs its number of hours.")
        if self.trigger in EVENT_TRIGGERS and self.hours is not None:
            errors["hours"] = _("Hours are for the time triggers only; leave it empty.")
        if self.minutes is not None and not self.is_waiting_rule:
            errors["minutes"] = _("Minutes are for “conversation waiting” only; leave it empty.")
        if self.is_waiting_rule:
            if self.hours is not None:
                errors["hours"] = _("Hours are for the time triggers only; leave it empty.")
            for name in TICKET_ONLY_CONDITIONS:
                if getattr(self, self._meta.get_field(name).attname) not in (None, ""):
                    errors[name] = _(
                        "A waiting conversation has no ticket yet: only its team, channel and "
                        "the customer's VIP level can be conditions."
                    )
        if self.hours is not None and not 1 <= self.hours <= RULE_HOURS_MAX:
            errors["hours"] = _("Hours must be between 1 and %(max)s.") % {"max": RULE_HOURS_MAX}
        if self.set_priority is not None and self.raise_priority:
            errors["raise_priority"] = _("Set the priority or raise it, not both.")
        if self.set_status:
            if self.set_status == TicketStatus.NEW:
                errors["set_status"] = _("No ticket can go back to “New”.")
            elif (
                self.if_status
                and self.if_status != self.set_status
                and self.set_status not in transitions_from(self.if_status)
            ):
                errors["set_status"] = _("A ticket cannot go from “%(old)s” to “%(new)s”.") % {
                    "old": TicketStatus(self.if_status).label,
                    "new": TicketStatus(self.set_status).label,
                }
        if self.notify_text and not self.notify:
            errors["notify"] = _("Choose whom to notify, or leave the notification text empty.")
        if self.if_sla_policy_id and self.trigger not in (
            RuleTrigger.SLA_WARNING,
            RuleTrigger.SLA_BREACHED,
        ):
            errors["if_sla_policy"] = _("The SLA policy condition is for the SLA triggers.")
        if errors:
            raise ValidationError(errors)


class RuleExecution(models.Model):
    """One firing of a rule on a ticket, written in the transaction of its actions: unique per
    triggering event (event rules) or per moment its hours count from (time rules), so a rule
    fires once per occurrence however many sweepers or redeliveries there are."""

    rule = models.ForeignKey(
        AutomationRule,
        on_delete=models.CASCADE,
        related_name="executions",
        verbose_name=_("rule"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    event_id = models.BigIntegerField(_("triggering event"), null=True, blank=True)
    anchor_at = models.DateTimeField(_("counted from"), null=True, blank=True)
    created_at = models.DateTimeField(_("fired at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rule execution")
        verbose_name_plural = _("rule executions")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "event_id"],
                condition=Q(event_id__isnull=False),
                name="rule_execution_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["rule", "ticket", "anchor_at"],
                condition=Q(anchor_at__isnull=False),
                name="rule_execution_once_per_anchor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} → {self.ticket_id}"


class TeamHours(models.Model):
    """A team's working hours: escalation notices to it wait until it is open (urgent ones
    never wait). A team with no row is always open."""

    team = models.OneToOneField(
        "routing.Team",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team"),
    )
    business_hours = models.ForeignKey(
        BusinessHours,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("business hours"),
    )

    class Meta:
        verbose_name = _("team working hours")
        verbose_name_plural = _("team working hours")

    def __str__(self) -> str:
        return f"{self.team} · {self.business_hours}"


class HeldNotice(models.Model):
    """A rule's notification held until the receiving team opens; the beat sweep sends it once
    (claimed with `FOR UPDATE SKIP LOCKED`, `sent_at` stamped in the sending transaction)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    rule_name = models.CharField(_("rule"), max_length=100)
    recipient_ids = models.JSONField(_("recipients"), default=list)
    text = models.CharField(_("text"), max_length=200)
    send_at = models.DateTimeField(_("send at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["send_at", "id"]
        verbose_name = _("held notification")
        verbose_name_plural = _("held notifications")
        indexes = [
            models.Index(
                fields=["send_at"], condition=Q(sent_at__isnull=True), name="heldnotice_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.send_at:%Y-%m-%d %H:%M}"
