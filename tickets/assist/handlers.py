"""Offline assistance on a customer's message (issue 13): the `message.created` handler that
keeps the detected category and the urgent / angry flags on the conversation.

It runs after the message's transaction committed, after routing's handler (whose rules call the
same classifier through `categories_detect` on the first message: the prediction is cached by
model version and text, so that message is classified once), in its own transaction with an
idempotency marker. It writes only when something changed, and the inbox hears it then.
"""

from django.db import transaction

from chat import events
from chat.models import Conversation, Message, SenderType
from chat.mood import moods_merge, text_mood
from desk.kernel import domain_events
from tickets.assist.classifier import text_classify

TEXTS_READ = 20  # the customer's newest messages the category is detected from


def _public_customer_message(event: domain_events.Event) -> bool:
    return event.payload.get("sender_type") == SenderType.CUSTOMER and not event.payload.get(
        "is_internal"
    )


def conversation_text(conversation_id: int) -> str:
    """The customer's newest public messages, oldest first, one per line."""
    bodies = list(
        Message.objects.filter(
            conversation_id=conversation_id, sender_type=SenderType.CUSTOMER, is_internal=False
        )
        .order_by("-seq")
        .values_list("body", flat=True)[:TEXTS_READ]
    )
    return "\n".join(body for body in reversed(bodies) if body and body.strip())


def conversation_assist_update(*, conversation_id: int, message_id: int | None) -> bool:
    """Detect the conversation's category from what the customer wrote, and add the message's
    urgent / angry words to its flags; True when the conversation changed."""
    body = (
        Message.objects.filter(pk=message_id).values_list("body", flat=True).first()
        if message_id
        else None
    ) or ""
    prediction = text_classify(conversation_text(conversation_id))
    mood = text_mood(body)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).filter(
            pk=conversation_id
        )
        conversation = conversation.select_related("customer", "assignee", "team").first()
        if conversation is None:
            return False
        changed: dict[str, object] = {}
        category = prediction.name if prediction else conversation.detected_category
        confidence = prediction.confidence if prediction else conversation.category_confidence
        if category != conversation.detected_category:
            changed["detected_category"] = category
        if confidence != conversation.category_confidence:
            changed["category_confidence"] = confidence
        if mood.urgent and not conversation.urgent:
            changed["urgent"] = True
        if mood.angry and not conversation.angry:
            changed["angry"] = True
        words = moods_merge(conversation.mood_words or [], mood)
        if words != (conversation.mood_words or []):
            changed["mood_words"] = words
        if not changed:
            return False
        for name, value in changed.items():
            setattr(conversation, name, value)
        conversation.save(update_fields=list(changed))
        events.publish_conversation(conversation, current=True)
        return True


@domain_events.takes(_public_customer_message)
def message_created_assist(event: domain_events.Event) -> None:
    conversation_assist_update(conversation_id=event.conversation_id, message_id=event.message_id)
