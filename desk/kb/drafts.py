"""From a resolved ticket, one click drafts a knowledge-base article (issue 13).

`kb_article_draft_from_ticket` writes a draft whose title is the ticket's subject and whose
Markdown body has the customer's question (their first messages in the ticket's chat, else the
ticket's description) and the agents' public answers (their chat messages and public replies on
the ticket, in order), in the ticket's language, in a category named like the ticket's (else
"草稿 Drafts"), linked to the ticket by `KbArticle.source_ticket`. One article per ticket: the
ticket's row lock and a unique constraint make a second click, or two at once, return the first.

desk.kb sits above tickets, so the ticket side never imports this (CONTRIBUTING.md, "Layers").
"""

import json

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType as ModelType
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chat.models import ContentType, Message, SenderType
from desk.kernel.errors import DomainError
from desk.models import ArticleStatus, KbArticle, KbCategory, Language
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus

DRAFTS_CATEGORY = "草稿 Drafts"
QUESTION_MESSAGES = 3  # the customer's first messages that make the question
ANSWER_PARTS = 20  # the agents' replies kept, in order
PART_CHARS = 2000  # of any one message or reply
DRAFTABLE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
HEADINGS = {
    Language.ZH_HANS: ("## 问题", "## 解答"),
    Language.EN: ("## Question", "## Answer"),
}


class TicketNotResolved(DomainError):
    code = "ticket_not_resolved"
    status = 409


def ticket_language(ticket: Ticket) -> str:
    """The KB language of the ticket's customer: English when they read English, else Chinese."""
    language = (ticket.requester.language or "").lower()
    return Language.EN if language.startswith("en") else Language.ZH_HANS


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= PART_CHARS else text[: PART_CHARS - 1].rstrip() + "…"


def _question(ticket: Ticket) -> list[str]:
    if ticket.conversation_id is not None:
        first = (
            Message.objects.filter(
                conversation_id=ticket.conversation_id,
                sender_type=SenderType.CUSTOMER,
                content_type=ContentType.TEXT,
                is_internal=False,
            )
            .exclude(body="")
            .order_by("seq")
            .values_list("body", flat=True)[:QUESTION_MESSAGES]
        )
        parts = [_clip(body) for body in first if body.strip()]
        if parts:
            return parts
    return [_clip(ticket.description)] if ticket.description.strip() else []


def _answer(ticket: Ticket) -> list[str]:
    """The agents' public words: their chat messages and the ticket's public replies (a reply
    that was also sent into the chat counts once), oldest first."""
    replies = list(
        TicketEvent.objects.filter(
            ticket=ticket, kind=TicketEventKind.COMMENT, actor__isnull=False
        ).values_list("created_at", "body", "message_id")
    )
    parts = [(created, body) for created, body, _message in replies]
    if ticket.conversation_id is not None:
        sent = {message for _created, _body, message in replies if message is not None}
        messages = (
            Message.objects.filter(
                conversation_id=ticket.conversation_id,
                sender_type=SenderType.AGENT,
                content_type=ContentType.TEXT,
                is_internal=False,
            )
            .exclude(pk__in=sent)
            .order_by("seq")
            .values_list("created_at", "body")[: ANSWER_PARTS * 2]
        )
        parts += list(messages)
    parts.sort(key=lambda part: part[0])
    return [_clip(body) for _created, body in parts if body.strip()][:ANSWER_PARTS]


def draft_body(ticket: Ticket, language: str) -> str:
    question_heading, answer_heading = HEADINGS[Language(language)]
    question = _question(ticket) or [ticket.subject]
    answer = _answer(ticket)
    lines = [question_heading, "", *("\n\n".join(question).splitlines()), "", answer_heading, ""]
    lines += "\n\n".join(answer).splitlines() if answer else ["…"]
    return "\n".join(lines).strip() + "\n"


def _category(ticket: Ticket) -> KbCategory:
    """The KB category named like the ticket's (either contains the other), else Drafts."""
    if ticket.category_id is not None:
        name = ticket.category.name.strip()
        for category in KbCategory.objects.order_by("pk"):
            if name and (name in category.name or category.name in name):
                return category
    category, _created = KbCategory.objects.get_or_create(parent=None, name=DRAFTS_CATEGORY)
    return category


def kb_article_draft_from_ticket(
    *, actor: AbstractBaseUser, ticket: Ticket
) -> tuple[KbArticle, bool]:
    """`(article, created)`: the ticket's draft, made now or found from an earlier click. The
    caller has checked that `actor` may reach the ticket. Refuses a ticket that is not resolved
    or closed (409 `ticket_not_resolved`)."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        existing = KbArticle.objects.filter(source_ticket=locked).first()
        if existing is not None:
            return existing, False
        if locked.status not in DRAFTABLE:
            raise TicketNotResolved(
                _("Only a resolved or closed ticket can become a knowledge base article.")
            )
        ticket = Ticket.objects.select_related("requester", "category").get(pk=locked.pk)
        language = ticket_language(ticket)
        try:
            with transaction.atomic():
                article = KbArticle.objects.create(
                    category=_category(ticket),
                    title=ticket.subject[:200],
                    body=draft_body(ticket, language),
                    language=language,
                    status=ArticleStatus.DRAFT,
                    source_ticket=ticket,
                    author=actor,
                )
        except IntegrityError:  # another click won the race on a database without the lock
            return KbArticle.objects.get(source_ticket=ticket), False
        # The audit row (house rule 3): the article's admin history says who added it ("Added.",
        # in the reader's language); `source_ticket` says from which ticket.
        LogEntry.objects.create(
            user_id=actor.pk,
            content_type=ModelType.objects.get_for_model(KbArticle),
            object_id=str(article.pk),
            object_repr=str(article)[:200],
            action_flag=ADDITION,
            change_message=json.dumps([{"added": {}}]),
        )
    return article, True
