"""The embeddable web widget: the sites that embed it and the visitors who come through them."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class WidgetLanguage(models.TextChoices):
    AUTO = "auto", _("Visitor's browser")
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class PrechatField(models.TextChoices):
    OFF = "off", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


PRECHAT_FIELDS = ("name", "email", "phone", "topic")
ORIGIN_PATTERN = r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?"


def new_widget_secret() -> str:
    return secrets.token_hex(32)


def validate_origins(value: str) -> None:
    bad = [line for line in value.split() if not re.fullmatch(ORIGIN_PATTERN, line)]
    if bad:
        raise ValidationError(
            _("Not an origin (scheme://host[:port], one per line): %(origins)s"),
            params={"origins": ", ".join(bad)},
            code="invalid_origin",
        )


class WidgetSite(models.Model):
    """A website that embeds the chat widget: its public key, identity secret and look."""

    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(
        _("site key"),
        max_length=50,
        unique=True,
        help_text=_("Public; goes into the snippet as data-site."),
    )
    secret = models.CharField(
        _("identity secret"),
        max_length=64,
        default=new_widget_secret,
        help_text=_(
            "Your server signs a signed-in user's ID with it: "
            "hex HMAC-SHA256(secret, user ID). Keep it off web pages."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    require_identity = models.BooleanField(
        _("require identity"),
        default=False,
        help_text=_("Only signed-in users with a valid user hash may chat."),
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        validators=[validate_origins],
        help_text=_(
            "Sites whose pages may embed the widget, one origin per line. Empty: no other "
            "site, only this server's own pages (such as the demo page)."
        ),
    )
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="widget_sites",
        verbose_name=_("team"),
        help_text=_("New conversations from this site go to this team."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=WidgetLanguage.choices, default=WidgetLanguage.AUTO
    )
    welcome_zh = models.TextField(_("welcome message (Chinese)"), blank=True)
    welcome_en = models.TextField(_("welcome message (English)"), blank=True)
    theme_color = models.CharField(
        _("theme color"),
        max_length=7,
        default="#3454d1",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A color like #3454d1."))],
    )
    prechat_enabled = models.BooleanField(_("pre-chat form"), default=False)
    prechat_name = models.CharField(
        _("ask for name"), max_length=10, choices=PrechatField.choices, default=PrechatField.OFF
    )
    prechat_email = models.CharField(
        _("ask for email"), max_length=10, choices=PrechatField.choices, default=PrechatField.OFF
    )
    prechat_phone = models.CharField(
        _("ask for phone"), max_length=10, choices=PrechatField.choices, default=PrechatField.OFF
    )
    prechat_topic = models.CharField(
        _("ask for topic"), max_length=10, choices=PrechatField.choices, default=PrechatField.OFF
    )
    prechat_topics = models.TextField(
        _("topics"), blank=True, help_text=_("The topic choices, one per line.")
    )
    offline_tickets = models.BooleanField(
        _("leave a message when no agent is online"),
        default=True,
        help_text=_(
            "When no agent of the team is online, the widget says so and the first message of "
            "a conversation becomes a ticket."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("widget site")
        verbose_name_plural = _("widget sites")

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def clean(self) -> None:
        if self.prechat_topic != PrechatField.OFF and not self.topic_list():
            raise ValidationError(
                {"prechat_topics": _("List at least one topic, or do not ask for one.")}
            )

    def origin_list(self) -> list[str]:
        return self.allowed_origins.split()

    def topic_list(self) -> list[str]:
        return [line.strip() for line in self.prechat_topics.splitlines() if line.strip()]

    def prechat_modes(self) -> dict[str, str]:
        """Each asked pre-chat field and whether it is optional or required."""
        modes = {name: getattr(self, f"prechat_{name}") for name in PRECHAT_FIELDS}
        return {name: mode for name, mode in modes.items() if mode != PrechatField.OFF}


class WidgetVisitor(models.Model):
    """A customer as seen through one widget site: the latest page context, for the
    conversation the visitor starts later, and the row that serialises the visitor's writes."""

    site = models.ForeignKey(
        WidgetSite, on_delete=models.CASCADE, related_name="visitors", verbose_name=_("site")
    )
    customer = models.ForeignKey(
        "chat.Customer",
        on_delete=models.CASCADE,
        related_name="widget_visits",
        verbose_name=_("customer"),
    )
    context = models.JSONField(_("latest context"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prechat = models.JSONField(_("pre-chat answers"), default=dict, blank=True)
    # Part of every visitor token; raising it (sign-out) revokes all the visitor's tokens at once.
    token_version = models.PositiveIntegerField(_("token version"), default=0)
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), auto_now=True)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("widget visitor")
        verbose_name_plural = _("widget visitors")
        constraints = [
            models.UniqueConstraint(fields=["site", "customer"], name="widget_visitor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer} @ {self.site.key}"
