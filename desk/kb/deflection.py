"""Self-service in the widget: which articles a visitor read, whether it helped, and whether they
still asked for an agent afterwards.

A view is recorded when the widget opens an article (`kb_article_view_record`). Whether the
customer then asked for an agent (a message of theirs, in any conversation, within
`DEFLECTION_WINDOW` after the view) is settled once that window has passed, by a beat sweep
(`kb_views_settle`, house rule 7): one conditional UPDATE of the due, unsettled rows, so running
it twice, or in two processes at once, changes nothing more. A view not followed by a message is
"deflected". The admin counts the settled rows per article (desk/admin.py).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from chat.models import Conversation, ConversationStatus, Message, SenderType, WidgetVisitor
from desk.kb.search import kb_articles_for
from desk.models import DEFLECTION_WINDOW, ArticleView, Audience, KbArticle

SETTLE_BATCH = 1000  # views settled per statement


def kb_article_get_for_customer(pk: int) -> KbArticle | None:
    """A published article, or None (drafts, internal-only and archived ones are not found)."""
    return kb_articles_for(Audience.CUSTOMER).filter(pk=pk).first()


def kb_article_view_record(*, visitor: WidgetVisitor, article: KbArticle) -> ArticleView:
    """One view of `article` by the widget's visitor, noting whether they had an open chat."""
    chatting = (
        Conversation.objects.filter(customer_id=visitor.customer_id)
        .exclude(status=ConversationStatus.CLOSED)
        .exists()
    )
    return ArticleView.objects.create(
        article=article,
        site_id=visitor.site_id,
        customer_id=visitor.customer_id,
        before_conversation=not chatting,
    )


def kb_article_view_vote(
    *, visitor: WidgetVisitor, view_id: int, helpful: bool
) -> ArticleView | None:
    """The visitor's answer to "Was this helpful?" on their own view (a second answer replaces
    the first); None when the view is not theirs or does not exist."""
    with transaction.atomic():
        view = (
            ArticleView.objects.select_for_update()
            .filter(pk=view_id, site_id=visitor.site_id, customer_id=visitor.customer_id)
            .first()
        )
        if view is None:
            return None
        if view.helpful != helpful:
            view.helpful = helpful
            view.save(update_fields=["helpful"])
    return view


def kb_views_settle(*, now: datetime | None = None, batch: int = SETTLE_BATCH) -> int:
    """Settle the views whose window has passed: `asked_agent` is whether the customer wrote
    within DEFLECTION_WINDOW after the view. Returns how many rows were settled; call it again
    while it returns `batch`."""
    cutoff = (now or timezone.now()) - DEFLECTION_WINDOW
    due = list(
        ArticleView.objects.filter(asked_agent__isnull=True, viewed_at__lte=cutoff)
        .order_by("viewed_at")
        .values_list("pk", flat=True)[:batch]
    )
    if not due:
        return 0
    customer_wrote = Message.objects.filter(
        conversation__customer_id=OuterRef("customer_id"),
        sender_type=SenderType.CUSTOMER,
        created_at__gte=OuterRef("viewed_at"),
        created_at__lte=OuterRef("viewed_at") + DEFLECTION_WINDOW,
    )
    # The condition on asked_agent makes a concurrent or repeated run settle nothing twice.
    asked = ArticleView.objects.filter(pk__in=due, asked_agent__isnull=True).filter(
        Exists(customer_wrote)
    )
    with transaction.atomic():
        settled = asked.update(asked_agent=True)
        settled += ArticleView.objects.filter(pk__in=due, asked_agent__isnull=True).update(
            asked_agent=False
        )
    return settled
