"""Knowledge base and canned replies, shared by every agent."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.kernel.markdown import html_text, markdown_html
from desk.kernel.search.text import index_text


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
    INTERNAL = "internal", _("Internal only")
    ARCHIVED = "archived", _("Archived")


class Audience(models.TextChoices):
    """Who reads the knowledge base: customers see published articles; agents also see the
    internal-only ones. Nobody finds a draft or an archived article."""

    CUSTOMER = "customer", _("Customers")
    AGENT = "agent", _("Agents")

    @property
    def statuses(self) -> tuple[str, ...]:
        if self == Audience.AGENT:
            return (ArticleStatus.PUBLISHED, ArticleStatus.INTERNAL)
        return (ArticleStatus.PUBLISHED,)


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class KbArticle(models.Model):
    """An article in Markdown. Its HTML, plain text and search terms (and its rows in the term
    index, `KbTerm`) are derived on save (the row's own rule: whoever saves it, they agree with
    the body; a `QuerySet.update()` of the title, body, tags, keywords, status or language
    skips `save()`, so write those through `save()`). The
    Chinese and English versions of one article form a group: each translation points at the
    original."""

    category = models.ForeignKey(
        KbCategory,
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body"), help_text=_("Markdown: **bold**, lists, [links](https://…), tables.")
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ArticleStatus.choices,
        default=ArticleStatus.DRAFT,
        help_text=_(
            "Published: agents and customers. Internal only: agents. Drafts and archived "
            "articles are found by nobody."
        ),
    )
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
        help_text=_("The original article this one translates into its own language."),
    )
    tags = models.CharField(
        _("tags"), max_length=300, blank=True, help_text=_("Separated by commas.")
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Other words customers use for this topic; searched, never shown."),
    )
    body_html = models.TextField(_("rendered body"), blank=True, editable=False)
    body_text = models.TextField(_("plain text"), blank=True, editable=False)
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafted from ticket"),
        help_text=_("The resolved ticket this article was drafted from (one article per ticket)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("knowledge base article")
        verbose_name_plural = _("knowledge base articles")
        indexes = [models.Index(fields=["status", "language"])]
        constraints = [
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=models.Q(translation_of__isnull=False),
                name="kb_article_one_translation_per_language",
            ),
            models.UniqueConstraint(
                fields=["source_ticket"],
                condition=models.Q(source_ticket__isnull=False),
                name="kb_article_one_draft_per_ticket",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.derive()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "body_html",
                "body_text",
                "search_title",
                "search_body",
            }
        super().save(*args, **kwargs)
        from desk.kb.terms import article_terms_write

        article_terms_write(self)

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def clean(self) -> None:
        """A translation points at an original (not at another translation) in another
        language."""
        super().clean()
        original = self.translation_of
        if original is None:
            return
        if original.pk == self.pk or original.translation_of_id is not None:
            raise ValidationError(
                {"translation_of": _("Choose the original article, not a translation.")}
            )
        if original.language == self.language:
            raise ValidationError(
                {"translation_of": _("A translation is in another language than the original.")}
            )

    def derive(self) -> None:
        """The HTML, plain text and search terms of the current title and body."""
        self.body_html = markdown_html(self.body)
        self.body_text = html_text(self.body_html)
        self.search_title = index_text(self.title)
        extra = " ".join([self.tags.replace(",", " "), self.keywords, str(self.category)])
        self.search_body = index_text(f"{self.body_text}\n{extra}")


class KbTerm(models.Model):
    """One term of an article and its weight there (title over body; desk/kb/terms.py): the
    knowledge base's search index. A search reads each of its terms' best articles from the
    (term, weight) index, a bounded number of rows however many articles have the term."""

    article = models.ForeignKey(
        KbArticle, on_delete=models.CASCADE, related_name="terms", verbose_name=_("article")
    )
    # PostgreSQL: collation "C" (migration 0011), so a prefix's terms are one range of the index
    term = models.CharField(_("term"), max_length=64)
    weight = models.FloatField(_("weight"))
    # the part of the title's terms this term makes (0: not in the title)
    title_share = models.FloatField(_("share of the title"), default=0.0)
    # the article's, copied when its rows are written (every save): a search reads who may see
    # a posting from the index alone, never the article's row
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)

    class Meta:
        verbose_name = _("knowledge base term")
        verbose_name_plural = _("knowledge base terms")
        # PostgreSQL: the rest of a posting in each index too (a search reads no table rows)
        constraints = [
            models.UniqueConstraint(
                fields=["article", "term"],
                include=["weight", "title_share"],
                name="kb_term_once_per_article_covering",
            )
        ]
        indexes = [
            models.Index(
                fields=["term", "-weight", "article"],
                include=["title_share", "status", "language"],
                name="kb_term_best_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.article_id}"


# A view is "deflected" when its customer asked for nobody within this long after reading.
DEFLECTION_WINDOW = timedelta(minutes=30)


class ArticleView(models.Model):
    """A customer opened a published article in the widget (self-service). Whether they still
    asked for an agent afterwards (`asked_agent`: a message of theirs within DEFLECTION_WINDOW)
    is settled once the window has passed (desk.kb.deflection); None until then. `helpful` is
    the customer's answer to "Was this helpful?", None when they did not say."""

    article = models.ForeignKey(
        KbArticle, on_delete=models.CASCADE, related_name="views", verbose_name=_("article")
    )
    site = models.ForeignKey(
        "chat.WidgetSite", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    customer = models.ForeignKey(
        "chat.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now)
    before_conversation = models.BooleanField(
        _("before a chat"),
        help_text=_("The customer had no open conversation when they read the article."),
    )
    asked_agent = models.BooleanField(
        _("still asked for an agent"),
        null=True,
        blank=True,
        help_text=_("Empty until the 30 minutes after the view have passed."),
    )
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)

    class Meta:
        ordering = ["-viewed_at"]
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        indexes = [
            # the settling sweep's due rows
            models.Index(
                fields=["viewed_at"],
                condition=models.Q(asked_agent__isnull=True),
                name="kb_view_unsettled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} · {self.viewed_at:%Y-%m-%d %H:%M}"


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
