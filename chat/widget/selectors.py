"""Reads for a widget visitor: only the token's own conversations, never internal notes.

Both answers carry `last_seq`, the cursor the widget resumes from. Internal notes and activity rows
take numbers too, so a widget sees gaps it can never fill; the cursor jumps over them. It is read
before the messages: every row up to it is committed, so nothing can slip between the two reads.
"""

from dataclasses import dataclass
from typing import Any

from chat import events, selectors
from chat.models import Conversation, WidgetVisitor
from chat.widget.services import visitor_conversations

HISTORY_PAGE = 30


@dataclass(frozen=True)
class MessagePage:
    conversation_id: int
    messages: list[dict[str, Any]]
    last_seq: int
    has_more: bool


def visitor_conversation_get(visitor: WidgetVisitor, conversation_id: int) -> Conversation | None:
    """The conversation if it is the visitor's; None otherwise (unknown and foreign alike)."""
    return visitor_conversations(visitor).filter(pk=conversation_id).first()


def visitor_messages_after(
    visitor: WidgetVisitor, conversation_id: int, *, after_seq: int
) -> MessagePage | None:
    """The gap after `after_seq` (at most `selectors.REPLAY_LIMIT`; `has_more` says so)."""
    conversation = visitor_conversation_get(visitor, conversation_id)
    if conversation is None:
        return None
    cursor = conversation.last_seq
    found = selectors.messages_after(conversation.pk, after_seq=after_seq, include_internal=False)
    has_more = len(found) == selectors.REPLAY_LIMIT
    if has_more:
        cursor = found[-1].seq
    elif found:
        cursor = max(cursor, found[-1].seq)
    return MessagePage(
        conversation.pk,
        [events.customer_message_json(m) for m in found],
        max(cursor, after_seq),
        has_more,
    )


def visitor_messages_before(
    visitor: WidgetVisitor, conversation_id: int, *, before_seq: int | None
) -> MessagePage | None:
    """One page of history before `before_seq` (the latest page when None), oldest first."""
    conversation = visitor_conversation_get(visitor, conversation_id)
    if conversation is None:
        return None
    cursor = conversation.last_seq
    found = selectors.messages_before(
        conversation.pk, before_seq=before_seq, include_internal=False, limit=HISTORY_PAGE + 1
    )
    has_more = len(found) > HISTORY_PAGE
    found = found[-HISTORY_PAGE:]
    if found:
        cursor = max(cursor, found[-1].seq)
    return MessagePage(
        conversation.pk, [events.customer_message_json(m) for m in found], cursor, has_more
    )
