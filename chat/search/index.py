"""Keeping the message index up to date: after commit, per message (the `message.created`
handler), and in batches for rows stored before (the `search_reindex` command). Idempotent: a
message's row is written again with the same text."""

from collections.abc import Iterable

from django.db import transaction

from chat.models import ContentType, Message
from chat.search.models import MessageSearch
from desk.kernel import domain_events
from desk.kernel.search.text import index_text

BATCH = 2000

# System lines ("conversation assigned to …") say nothing a customer or an agent wrote.
UNSEARCHED = (ContentType.EVENT,)


def _text(message: Message) -> str:
    if message.content_type in UNSEARCHED:
        return ""
    return index_text(message.body)


def messages_index(message_ids: Iterable[int]) -> int:
    """Write (or rewrite) the search rows of these messages; returns how many. Two queries."""
    messages = Message.objects.filter(pk__in=list(message_ids)).only(
        "pk", "conversation_id", "content_type", "body"
    )
    rows = [
        MessageSearch(message_id=m.pk, conversation_id=m.conversation_id, search_body=_text(m))
        for m in messages
    ]
    MessageSearch.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["message"], update_fields=["search_body"]
    )
    return len(rows)


def message_created_index(event: domain_events.Event) -> None:
    """`message.created` handler: index the new message, after its transaction committed."""
    if event.message_id is not None:
        messages_index([event.message_id])


def messages_backfill(*, batch: int = BATCH, rebuild: bool = False) -> int:
    """Index the messages that have no search row yet (all of them with `rebuild`), in batches
    of `batch` ids, each in its own transaction; returns how many were written."""
    done, after = 0, 0
    indexed = MessageSearch.objects.values("message_id")
    while True:
        pending = Message.objects.filter(pk__gt=after).order_by("pk")
        if not rebuild:
            pending = pending.exclude(pk__in=indexed.filter(message_id__gt=after))
        ids = list(pending.values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        with transaction.atomic():
            done += messages_index(ids)
        after = ids[-1]
