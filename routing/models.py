"""Teams, skills and the agents who answer conversations."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from desk.kernel.choices import Priority
from routing.rule_checks import CHANNEL_CHOICES, rule_errors


class AssignmentMode(models.TextChoices):
    LEAST_BUSY = "least_busy", _("Least busy")
    ROUND_ROBIN = "round_robin", _("Round robin")
    STICKY = "sticky", _("Sticky (returning customers go to their last agent)")


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


OVERFLOW_SECONDS_MIN, OVERFLOW_SECONDS_MAX = 10, 24 * 3600
OFFER_SECONDS_MIN, OFFER_SECONDS_MAX = 5, 300


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    auto_assign = models.BooleanField(
        _("assign automatically"),
        default=True,
        help_text=_("New chats go to an online agent of the team with free capacity, else wait."),
    )
    assignment_mode = models.CharField(
        _("assignment"),
        max_length=16,
        choices=AssignmentMode.choices,
        default=AssignmentMode.LEAST_BUSY,
    )
    any_agent_when_none_online = models.BooleanField(
        _("other teams help when none of this team is online"),
        default=True,
        help_text=_(
            "When no agent of this team is online, any online agent may take its chats, so the "
            "widget does not turn them into messages while colleagues are at work."
        ),
    )
    login_presence = models.CharField(
        _("presence on sign-in"),
        max_length=10,
        choices=Presence.choices,
        blank=True,
        help_text=_("Empty: an agent comes back with the presence they chose last."),
    )
    # Overflow (issue 12): a chat that has waited this long in the team's queue may also go to
    # an agent of the fallback team; it keeps its team (chat/assignment/overflow.py).
    fallback_team = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="overflow_from",
        verbose_name=_("fallback team"),
        help_text=_(
            "Agents of this team may also take a chat that has waited longer than the overflow "
            "time. The chat stays with its own team."
        ),
    )
    overflow_after_seconds = models.PositiveIntegerField(
        _("overflow after (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "How long a chat waits in this team's queue before the fallback team may take it: "
            "10 seconds to 24 hours (86400). Empty or 0: never."
        ),
    )
    # Offer mode (issue 12): routing reserves the agent's slot and offers the chat; the agent
    # accepts or declines (chat/assignment/offers.py).
    offer_seconds = models.PositiveSmallIntegerField(
        _("offer time (seconds)"),
        default=0,
        help_text=_(
            "0: new chats are assigned at once. 5 to 300: a chat is offered to an agent, who "
            "has this long to accept it before it is offered to the next agent."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(offer_seconds=0)
                | models.Q(
                    offer_seconds__gte=OFFER_SECONDS_MIN, offer_seconds__lte=OFFER_SECONDS_MAX
                ),
                name="team_offer_seconds_range",
            ),
            models.CheckConstraint(
                condition=models.Q(overflow_after_seconds__isnull=True)
                | models.Q(overflow_after_seconds=0)
                | models.Q(
                    overflow_after_seconds__gte=OVERFLOW_SECONDS_MIN,
                    overflow_after_seconds__lte=OVERFLOW_SECONDS_MAX,
                ),
                name="team_overflow_seconds_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        seconds = self.overflow_after_seconds
        if seconds and not OVERFLOW_SECONDS_MIN <= seconds <= OVERFLOW_SECONDS_MAX:
            errors["overflow_after_seconds"] = _(
                "Choose between 10 seconds and 24 hours (86400 seconds), or leave it empty."
            )
        fallback = self.fallback_team
        if fallback is not None:
            if self.pk is not None and fallback.pk == self.pk:
                errors["fallback_team"] = _("A team cannot be its own fallback team.")
            elif not fallback.is_active:
                errors["fallback_team"] = _("The fallback team must be active.")
        elif seconds and "overflow_after_seconds" not in errors:
            errors["fallback_team"] = _("Choose the team that takes over after the overflow time.")
        offer = self.offer_seconds or 0
        if offer and not OFFER_SECONDS_MIN <= offer <= OFFER_SECONDS_MAX:
            errors["offer_seconds"] = _("Choose 0 (assign at once) or 5 to 300 seconds.")
        if errors:
            raise ValidationError(errors)

    def overflow_team(self) -> "Team | None":
        """The fallback team whose agents may take this team's long-waiting chats, if any."""
        if not self.overflow_after_seconds or self.fallback_team_id in (None, self.pk):
            return None
        fallback = self.fallback_team
        return fallback if fallback is not None and fallback.is_active else None


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_profile",
        verbose_name=_("user"),
    )
    display_name = models.CharField(_("display name"), max_length=100)
    avatar_url = models.URLField(_("avatar URL"), blank=True)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True, verbose_name=_("teams"))
    skills = models.ManyToManyField(
        Skill, through="AgentSkill", related_name="agents", blank=True, verbose_name=_("skills")
    )
    max_concurrent_chats = models.PositiveSmallIntegerField(
        _("max concurrent chats"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(_("presence changed at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    # What the agent last chose themselves: a sign-in after a heartbeat timeout restores it.
    chosen_presence = models.CharField(
        _("chosen presence"), max_length=10, choices=Presence.choices, default=Presence.ONLINE
    )
    # Open conversations assigned to the agent, kept by conditional UPDATEs (routing.services):
    # auto-assignment claims a slot only while active_chats < max_concurrent_chats.
    active_chats = models.PositiveSmallIntegerField(_("active chats"), default=0)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        indexes = [models.Index(fields=["presence", "last_seen_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_concurrent_chats__gte=1),
                name="agent_max_chats_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(max_concurrent_chats__lte=50),
                name="agent_max_chats_at_most_50",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class AgentSkill(models.Model):
    agent = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, related_name="skill_levels", verbose_name=_("agent")
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.CASCADE, related_name="agent_levels", verbose_name=_("skill")
    )
    level = models.PositiveSmallIntegerField(
        _("level"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="agent_skill_level_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.skill} ({self.level})"


class AgentChannelCapacity(models.Model):
    """A limit on one channel's share of the agent's chats (say two WeChat chats of five): a
    full channel gets them no more of its chats, others still may. `active_chats` counts the
    agent's open conversations of the channel, kept by routing.capacity's conditional UPDATEs
    like the agent's own count."""

    agent = models.ForeignKey(
        AgentProfile,
        on_delete=models.CASCADE,
        related_name="channel_capacities",
        verbose_name=_("agent"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=CHANNEL_CHOICES)
    max_chats = models.PositiveSmallIntegerField(
        _("max concurrent chats"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    active_chats = models.PositiveSmallIntegerField(_("active chats"), default=0)

    class Meta:
        verbose_name = _("channel limit")
        verbose_name_plural = _("channel limits")
        constraints = [
            models.UniqueConstraint(fields=["agent", "channel"], name="agent_channel_unique"),
            models.CheckConstraint(
                condition=models.Q(max_chats__gte=1, max_chats__lte=50),
                name="agent_channel_max_1_50",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.get_channel_display()} ({self.max_chats})"


class PresenceLog(models.Model):
    """Audit row for every presence change (reports count online time from it)."""

    agent = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, related_name="presence_log", verbose_name=_("agent")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    old_value = models.CharField(_("old presence"), max_length=10, choices=Presence.choices)
    new_value = models.CharField(_("new presence"), max_length=10, choices=Presence.choices)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("presence change")
        verbose_name_plural = _("presence changes")

    def __str__(self) -> str:
        return f"{self.agent}: {self.old_value} → {self.new_value}"


# ---- routing rules (issue 12) ---------------------------------------------------------------


class RuleAppliesTo(models.TextChoices):
    CONVERSATIONS = "conversations", _("Conversations")
    TICKETS = "tickets", _("Tickets")
    BOTH = "both", _("Conversations and tickets")


class RuleHours(models.TextChoices):
    ANY = "any", _("At any time")
    INSIDE = "inside", _("Inside the hours below")
    OUTSIDE = "outside", _("Outside the hours below")


def _default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class RoutingRule(models.Model):
    """Where a new conversation or ticket goes: the first active rule, in position order, whose
    conditions all hold (an empty condition always holds) sets its team, required skill and
    priority. The matcher is `routing.rules.rule_match`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(
        _("position"), default=100, help_text=_("Rules are tried from the lowest position up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    applies_to = models.CharField(
        _("applies to"),
        max_length=16,
        choices=RuleAppliesTo.choices,
        default=RuleAppliesTo.CONVERSATIONS,
    )
    # Conditions: all that are given must hold.
    channels = models.JSONField(
        _("channels"),
        default=list,
        blank=True,
        help_text=_("Any of these channels; empty: every channel."),
    )
    site = models.CharField(
        _("widget site"),
        max_length=100,
        blank=True,
        help_text=_("The widget site's key or name; empty: any site."),
    )
    min_vip_level = models.PositiveSmallIntegerField(
        _("minimum VIP level"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(9)],
        help_text=_("The customer's VIP level is at least this (0-9); empty: any customer."),
    )
    customer_attributes = models.JSONField(
        _("customer attributes"),
        default=dict,
        blank=True,
        help_text=_(
            'Every one of these customer attributes has this value, e.g. {"plan": "Gold"}.'
        ),
    )
    keywords = models.JSONField(
        _("keywords"),
        default=list,
        blank=True,
        help_text=_(
            "Any of these words in the customer's first message (a ticket: its subject and "
            "description), ignoring case."
        ),
    )
    categories = models.JSONField(
        _("categories"),
        default=list,
        blank=True,
        help_text=_("Ticket category names; a conversation matches a category detected for it."),
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_(
            "The language of the first message (else the customer's language); empty: any."
        ),
    )
    hours = models.CharField(
        _("time"), max_length=8, choices=RuleHours.choices, default=RuleHours.ANY
    )
    weekdays = models.JSONField(
        _("weekdays"),
        default=_default_weekdays,
        blank=True,
        help_text=_("Days of the hours, Monday = 0 … Sunday = 6."),
    )
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Shanghai",
        help_text=_("The time zone of the hours, e.g. Asia/Shanghai or Europe/Berlin."),
    )
    # Targets.
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="routing_rules",
        verbose_name=_("team"),
        help_text=_("The team that gets what the rule matches."),
    )
    skill = models.ForeignKey(
        Skill,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("required skill"),
        help_text=_("Only agents with this skill take it; empty: any agent of the team."),
    )
    min_skill_level = models.PositiveSmallIntegerField(
        _("minimum skill level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1-5; among agents equally free, the higher level goes first."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text=_("Empty: the priority stays as it is."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_skill_level__gte=1, min_skill_level__lte=5),
                name="routing_rule_skill_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = rule_errors(self)
        if errors:
            raise ValidationError(errors)
