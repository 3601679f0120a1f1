"""The category a 转工单 form suggests for a conversation, and why.

In order: the category of a keyword rule that matches something the customer wrote (the same
rules that create tickets by themselves, `tickets.sources.keywords`); else the category
classifier's (tickets/assist/classifier.py: the trained model when sure, else the categories'
keywords), with its confidence; else an active category whose
name
the customer wrote (the longest such name, so "退换货" wins over "退货"); else the category of
the customer's newest categorised ticket. None when nothing points anywhere.
"""

from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation, Message, SenderType
from tickets.assist.classifier import Source, text_classify
from tickets.models import Category, Ticket
from tickets.selectors import categories_active
from tickets.sources.keywords import active_triggers

MESSAGES_READ = 50  # the customer's newest messages the suggestion looks at
NAME_MIN_LENGTH = 2  # shorter category names match too much by accident


class SuggestionReason(TextChoices):
    KEYWORD_RULE = "keyword_rule", _("A keyword rule matches what the customer wrote")
    CLASSIFIER = "classifier", _("Learned from resolved tickets")
    CATEGORY_KEYWORDS = "category_keywords", _("The category's keywords")
    MENTIONED = "mentioned", _("The customer wrote the category's name")
    PREVIOUS_TICKET = "previous_ticket", _("The customer's previous ticket")


@dataclass(frozen=True)
class CategorySuggestion:
    category: Category
    reason: str  # a SuggestionReason
    detail: str  # the rule's name, the word written, the previous ticket's number, "财务 · 82%"
    confidence: float | None = None  # the classifier's, 0–1


def _customer_texts(conversation: Conversation) -> list[str]:
    bodies = Message.objects.filter(
        conversation=conversation, sender_type=SenderType.CUSTOMER, is_internal=False
    ).order_by("-seq")[:MESSAGES_READ]
    return [body for body in bodies.values_list("body", flat=True) if body.strip()]


def _by_rule(texts: list[str]) -> CategorySuggestion | None:
    for rule in active_triggers():
        if rule.category_id is None or not rule.category.is_active:
            continue
        if any(rule.matches(text) for text in texts):
            return CategorySuggestion(rule.category, SuggestionReason.KEYWORD_RULE, rule.name)
    return None


def _by_name(texts: list[str]) -> CategorySuggestion | None:
    folded = "\n".join(texts).casefold()
    written = [
        category
        for category in categories_active()
        if len(category.name) >= NAME_MIN_LENGTH and category.name.casefold() in folded
    ]
    if not written:
        return None
    best = max(written, key=lambda category: len(category.name))
    return CategorySuggestion(best, SuggestionReason.MENTIONED, best.name)


def _by_previous_ticket(conversation: Conversation) -> CategorySuggestion | None:
    previous = (
        Ticket.objects.filter(
            requester_id=conversation.customer_id,
            category__isnull=False,
            category__is_active=True,
        )
        .select_related("category__parent")
        .order_by("-created_at", "-id")
        .first()
    )
    if previous is None:
        return None
    return CategorySuggestion(previous.category, SuggestionReason.PREVIOUS_TICKET, previous.number)


def _by_classifier(texts: list[str]) -> CategorySuggestion | None:
    prediction = text_classify("\n".join(reversed(texts)))
    if prediction is None:
        return None
    category = Category.objects.select_related("parent").get(pk=prediction.category_id)
    reason = (
        SuggestionReason.CLASSIFIER
        if prediction.source == Source.MODEL
        else SuggestionReason.CATEGORY_KEYWORDS
    )
    detail = f"{category.name} · {round(prediction.confidence * 100)}%"
    return CategorySuggestion(category, reason, detail, prediction.confidence)


def suggested_category(conversation: Conversation) -> CategorySuggestion | None:
    texts = _customer_texts(conversation)
    return (
        _by_rule(texts)
        or _by_classifier(texts)
        or _by_name(texts)
        or _by_previous_ticket(conversation)
    )
