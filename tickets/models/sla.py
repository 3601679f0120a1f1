"""SLA policies and the business-hours calendars they count in (the arithmetic:
tickets/sla/calendar.py; which policy applies: tickets/sla/policies.py)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.models import Channel
from desk.kernel.choices import Priority


class BusinessHours(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")

    class Meta:
        ordering = ["name"]
        verbose_name = _("business hours calendar")
        verbose_name_plural = _("business hours calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": _("Unknown time zone.")}) from exc


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHoursInterval(models.Model):
    calendar = models.ForeignKey(
        BusinessHours,
        on_delete=models.CASCADE,
        related_name="intervals",
        verbose_name=_("calendar"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(
        _("end"),
        help_text=_(
            "An end at or before the start runs past midnight into the next day (a night "
            "shift); 00:00 to 00:00 is the whole day."
        ),
    )

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessHours, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class MakeUpWorkday(models.Model):
    """调休: a date normally off (a weekend) that is worked, with the hours of a weekday."""

    calendar = models.ForeignKey(
        BusinessHours,
        on_delete=models.CASCADE,
        related_name="workdays",
        verbose_name=_("calendar"),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    works_as = models.PositiveSmallIntegerField(
        _("with the hours of"), choices=Weekday.choices, default=Weekday.MONDAY
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("make-up working day")
        verbose_name_plural = _("make-up working days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="workday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()

    def clean(self) -> None:
        if (
            self.calendar_id
            and Holiday.objects.filter(calendar_id=self.calendar_id, date=self.date).exists()
        ):
            raise ValidationError({"date": _("This date is a holiday of the calendar.")})


class SlaPolicy(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.PositiveSmallIntegerField(
        _("applies to priority"),
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text=_("Empty: any priority."),
    )
    category = models.ForeignKey(
        "tickets.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applies to category"),
        help_text=_("Empty: any category."),
    )
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applies to team"),
        help_text=_("Empty: any team."),
    )
    channel = models.CharField(
        _("applies to channel"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: any channel (a ticket counts its conversation's channel)."),
    )
    min_vip_level = models.PositiveSmallIntegerField(
        _("applies from VIP level"),
        null=True,
        blank=True,
        help_text=_("Empty: every customer; else customers of at least this VIP level."),
    )
    position = models.PositiveIntegerField(
        _("order"),
        default=0,
        help_text=_("Policies are tried in this order; the first that matches applies."),
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (minutes)"),
        null=True,
        blank=True,
        help_text=_("After each customer reply. Empty: no next-response target."),
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (% of the target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    business_hours = models.ForeignKey(
        BusinessHours,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("business hours"),
        help_text=_("Leave empty to count around the clock."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0) & Q(resolution_minutes__gt=0),
                name="sla_positive_targets",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPhase(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class SlaTimer(models.Model):
    """One alarm of a ticket's SLA clock (or of a waiting conversation's first-response clock,
    with no ticket): its warning or its breach of one target, due at
    `fire_at`. The beat sweep (tickets/sla/timers.py) claims due rows with `FOR UPDATE SKIP
    LOCKED` and stamps `fired_at` in the transaction that acts on them: each fires once, however
    many sweepers run and whenever they die. A clock that changes deletes its pending timers and
    makes new ones."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_timers",
        verbose_name=_("ticket"),
    )
    conversation = models.ForeignKey(
        "chat.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_timers",
        verbose_name=_("conversation"),
        help_text=_("A waiting conversation's first-response clock (no ticket)."),
    )
    target = models.CharField(_("target"), max_length=16, choices=SlaTarget.choices)
    phase = models.CharField(_("phase"), max_length=8, choices=SlaPhase.choices)
    due_at = models.DateTimeField(_("target due at"))
    fire_at = models.DateTimeField(_("fires at"))
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)

    class Meta:
        ordering = ["fire_at", "id"]
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        indexes = [
            models.Index(
                fields=["fire_at"], condition=Q(fired_at__isnull=True), name="slatimer_pending"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "phase"],
                condition=Q(fired_at__isnull=True),
                name="slatimer_one_pending",
            ),
            models.UniqueConstraint(
                fields=["conversation", "target", "phase"],
                condition=Q(fired_at__isnull=True, ticket__isnull=True),
                name="slatimer_one_pending_conversation",
            ),
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(conversation__isnull=False),
                name="slatimer_has_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = self.ticket_id or f"c{self.conversation_id}"
        return f"{owner} {self.target} {self.phase} @ {self.fire_at:%Y-%m-%d %H:%M}"
