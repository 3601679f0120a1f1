"""Keeping the message term index up to date: after commit, per message (the `message.created`
handler), and in batches for rows stored before (the `search_reindex` command). Idempotent: a
message's terms are written once (a second write of the same terms does nothing)."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef

from chat.models import ContentType, Message
from chat.search.models import MessageTerm
from desk.kernel import domain_events
from desk.kernel.search.postings import term_key
from desk.kernel.search.text import terms

BATCH = 2000

# System lines ("conversation assigned to …") say nothing a customer or an agent wrote.
UNSEARCHED = (ContentType.EVENT,)


def message_terms(message: Message) -> list[str]:
    """The distinct terms a message is found by (none for a system line)."""
    if message.content_type in UNSEARCHED:
        return []
    return list(dict.fromkeys(map(term_key, terms(message.body))))


def messages_index(message_ids: Iterable[int], *, rewrite: bool = False) -> int:
    """Write the term rows of these messages (`rewrite`: their old rows go first); returns how
    many messages have terms. Two queries (three to rewrite)."""
    messages = list(
        Message.objects.filter(pk__in=list(message_ids)).only(
            "pk", "conversation_id", "content_type", "body"
        )
    )
    if rewrite:
        MessageTerm.objects.filter(message_id__in=[m.pk for m in messages]).delete()
    rows = [
        MessageTerm(message_id=m.pk, conversation_id=m.conversation_id, term=term)
        for m in messages
        for term in message_terms(m)
    ]
    MessageTerm.objects.bulk_create(rows, ignore_conflicts=True)
    return len({row.message_id for row in rows})


def message_created_index(event: domain_events.Event) -> None:
    """`message.created` handler: index the new message, after its transaction committed."""
    if event.message_id is not None:
        messages_index([event.message_id])


def messages_backfill(*, batch: int = BATCH, rebuild: bool = False) -> int:
    """Index the messages that have no term rows yet (all of them with `rebuild`), in batches
    of `batch` ids, each in its own transaction; returns how many have terms. (System lines are
    not indexed; a message of stop words only has no terms and is read again by every
    backfill.)"""
    done, after = 0, 0
    indexed = Exists(MessageTerm.objects.filter(message_id=OuterRef("pk")))
    while True:
        pending = (
            Message.objects.filter(pk__gt=after).exclude(content_type__in=UNSEARCHED).order_by("pk")
        )
        if not rebuild:
            pending = pending.exclude(indexed)
        ids = list(pending.values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        with transaction.atomic():
            done += messages_index(ids, rewrite=rebuild)
        after = ids[-1]
