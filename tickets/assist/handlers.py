"""Offline assistance on a customer's message (issue 13): the `message.created` handler that
keeps the detected category and the urgent / angry flags on the conversation.

It runs after the message's transaction committed, after routing's handler (whose rules call the
same classifier through `categories_detect` on the first message: the prediction is cached by
model version and text, so that message is classified once), in its own transaction with an
idempotency marker.

The category is what the customer says in the conversation's opening (its first `OPENING_SEQ`
messages), where they say why they came; later messages are read for their mood only. So the
common message costs one read (the message with its conversation's flags) and no lock: the row
is locked and written only when something changed, and the inbox hears it then
(tickets/tests/test_message_worker_cost.py pins it).
"""

from typing import Any

from django.db import transaction

from chat import events
from chat.models import Conversation, Message, SenderType
from chat.mood import Mood, moods_merge, text_mood
from desk.kernel import domain_events
from tickets.assist.classifier import Prediction, text_classify

OPENING_SEQ = 12  # the messages (of anyone, timeline rows too) the category is read from
FLAGS = ("detected_category", "category_confidence", "urgent", "angry", "mood_words")


def _public_customer_message(event: domain_events.Event) -> bool:
    return event.payload.get("sender_type") == SenderType.CUSTOMER and not event.payload.get(
        "is_internal"
    )


def opening_text(conversation_id: int) -> str:
    """What the customer wrote in the conversation's opening, one message a line."""
    bodies = Message.objects.filter(
        conversation_id=conversation_id,
        sender_type=SenderType.CUSTOMER,
        is_internal=False,
        seq__lte=OPENING_SEQ,
    ).values_list("body", flat=True)
    return "\n".join(body for body in bodies if body and body.strip())


def _changes(
    conversation: Conversation, prediction: Prediction | None, classified: bool, mood: Mood
) -> dict[str, Any]:
    """The flags that differ from the conversation's: a new reading of the category (when the
    message was classified), the message's urgent / angry words added."""
    changed: dict[str, Any] = {}
    if classified and prediction is not None:
        if prediction.name != conversation.detected_category:
            changed["detected_category"] = prediction.name
        if prediction.confidence != conversation.category_confidence:
            changed["category_confidence"] = prediction.confidence
    if mood.urgent and not conversation.urgent:
        changed["urgent"] = True
    if mood.angry and not conversation.angry:
        changed["angry"] = True
    words = moods_merge(conversation.mood_words or [], mood)
    if words != (conversation.mood_words or []):
        changed["mood_words"] = words
    return changed


def conversation_assist_update(*, message_id: int) -> bool:
    """Detect the conversation's category from its opening (when the message is in it), and add
    the message's urgent / angry words to its flags; True when the conversation changed."""
    message = (
        Message.objects.filter(pk=message_id)
        .select_related("conversation")
        .only("body", "seq", "conversation_id", *(f"conversation__{f}" for f in FLAGS))
        .first()
    )
    if message is None:
        return False
    classified = message.seq <= OPENING_SEQ
    prediction = text_classify(opening_text(message.conversation_id)) if classified else None
    mood = text_mood(message.body or "")
    if not _changes(message.conversation, prediction, classified, mood):
        return False  # the common case: read, nothing to write, no lock taken
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("customer", "assignee", "team")
            .filter(pk=message.conversation_id)
            .first()
        )
        if conversation is None:
            return False
        changed = _changes(conversation, prediction, classified, mood)
        if not changed:
            return False
        for name, value in changed.items():
            setattr(conversation, name, value)
        conversation.save(update_fields=list(changed))
        events.publish_conversation(conversation, current=True)
        return True


@domain_events.takes(_public_customer_message)
def message_created_assist(event: domain_events.Event) -> None:
    if event.message_id is not None:
        conversation_assist_update(message_id=event.message_id)
