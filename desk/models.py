"""Knowledge base and canned replies, shared by every agent."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class KbCategory(models.Model):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="kb_category_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class KbArticle(models.Model):
    category = models.ForeignKey(
        KbCategory,
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("knowledge base article")
        verbose_name_plural = _("knowledge base articles")
        indexes = [models.Index(fields=["status", "language"])]

    def __str__(self) -> str:
        return self.title


class CannedReplyScope(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    TEAM = "team", _("Team")
    GLOBAL = "global", _("Global")


# A shortcut is typed after "/" in the composer: letters of any script (退款, refund), digits,
# "-" and "_"; no spaces and no "/". `\w` is Unicode-aware on str patterns.
SHORTCUT_PATTERN = r"^[\w-]+\Z"
validate_shortcut = RegexValidator(
    SHORTCUT_PATTERN,
    _("Use letters (any language), digits, “-” and “_” only, without spaces or “/”."),
    code="invalid_shortcut",
)


class CannedReply(models.Model):
    """A reply an agent inserts from the composer by typing `/shortcut`. Personal replies belong
    to one agent (`owner`), team replies to a team's agents, global ones to everyone."""

    shortcut = models.CharField(_("shortcut"), max_length=50, validators=[validate_shortcut])
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Plain text. Variables: {{customer.name}}, {{customer.email}}, {{ticket.number}}, "
            "{{ticket.subject}}, {{agent.name}}."
        ),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    scope = models.CharField(
        _("scope"),
        max_length=10,
        choices=CannedReplyScope.choices,
        default=CannedReplyScope.GLOBAL,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("owner"),
        help_text=_("The agent a personal reply belongs to."),
    )
    team = models.ForeignKey(
        "routing.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("team"),
        help_text=_("The team whose agents may use a team reply."),
    )
    usage_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
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
        ordering = ["shortcut"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="personal", owner__isnull=False, team__isnull=True)
                    | models.Q(scope="team", owner__isnull=True, team__isnull=False)
                    | models.Q(scope="global", owner__isnull=True, team__isnull=True)
                ),
                name="canned_reply_scope_fields",
            ),
            models.UniqueConstraint(
                fields=["shortcut", "language"],
                condition=models.Q(scope="global"),
                name="canned_reply_shared_shortcut",
            ),
            models.UniqueConstraint(
                fields=["team", "shortcut", "language"], name="canned_reply_team_shortcut"
            ),
            models.UniqueConstraint(
                fields=["owner", "shortcut", "language"], name="canned_reply_owner_shortcut"
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut} {self.title}"

    def clean(self) -> None:
        """The scope decides which of owner and team is set (the check constraint, in words)."""
        super().clean()
        errors: dict[str, str] = {}
        if self.scope == CannedReplyScope.PERSONAL:
            if self.owner_id is None:
                errors["owner"] = _("A personal reply needs an owner.")
            if self.team_id is not None:
                errors["team"] = _("A personal reply has no team: choose the team scope instead.")
        elif self.scope == CannedReplyScope.TEAM:
            if self.team_id is None:
                errors["team"] = _("A team reply needs a team.")
            if self.owner_id is not None:
                errors["owner"] = _("Only a personal reply has an owner.")
        else:
            if self.team_id is not None:
                errors["team"] = _("A global reply has no team: choose the team scope instead.")
            if self.owner_id is not None:
                errors["owner"] = _("Only a personal reply has an owner.")
        if errors:
            raise ValidationError(errors)


class CannedReplyUsage(models.Model):
    """How often a reply was used for one topic (desk/canned/topics.py: `category:<id>` of the
    ticket, `team:<id>` of the conversation or ticket). The ranking's counts; bumped with an
    UPDATE … count = count + 1 so concurrent uses from several processes all count."""

    reply = models.ForeignKey(
        CannedReply, on_delete=models.CASCADE, related_name="usages", verbose_name=_("reply")
    )
    topic = models.CharField(_("topic"), max_length=40)
    count = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used at"))

    class Meta:
        verbose_name = _("canned reply usage")
        verbose_name_plural = _("canned reply usages")
        constraints = [
            models.UniqueConstraint(fields=["reply", "topic"], name="canned_reply_usage_topic")
        ]
        indexes = [models.Index(fields=["topic", "reply"])]

    def __str__(self) -> str:
        return f"{self.reply} · {self.topic}: {self.count}"


from desk.kernel.domain_events.models import HandledEvent, OutboxEvent  # noqa: E402, F401
from desk.notifications.models import Notification, NotificationKind  # noqa: E402, F401
