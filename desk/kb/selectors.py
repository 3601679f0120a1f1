"""What an agent reads of the knowledge base: one article, and the articles that answer the
latest words of a customer in a conversation the agent may see (house rule 8); and what a
customer finds in the widget's help (published articles, their language first)."""

from django.contrib.auth.models import AbstractBaseUser

from chat.models import ContentType, Message, SenderType
from chat.selectors import conversation_get_for_agent
from desk.kb.search import MAX_QUERY, Hit, kb_articles_for, kb_search
from desk.models import Audience, KbArticle, Language

SUGGESTIONS = 3
LATEST_MESSAGES = 3  # the customer's last messages that make the question


def kb_article_get_for_agent(user: AbstractBaseUser, pk: int) -> KbArticle | None:
    """A published or internal-only article, or None (drafts are not found)."""
    return (
        kb_articles_for(Audience.AGENT)
        .select_related("category", "translation_of")
        .filter(pk=pk)
        .first()
    )


def kb_article_versions(article: KbArticle) -> list[KbArticle]:
    """The other languages of the article (its original and the original's other translations)
    that agents may read."""
    original_id = article.translation_of_id or article.pk
    group = kb_articles_for(Audience.AGENT).filter(translation_of_id=original_id) | kb_articles_for(
        Audience.AGENT
    ).filter(pk=original_id)
    return [version for version in group.order_by("language", "pk") if version.pk != article.pk]


def customer_question(conversation_id: int) -> list[str]:
    """The text of the customer's latest messages in the conversation, the newest first."""
    bodies = (
        Message.objects.filter(
            conversation_id=conversation_id,
            sender_type=SenderType.CUSTOMER,
            content_type=ContentType.TEXT,
            is_internal=False,
        )
        .order_by("-seq")
        .values_list("body", flat=True)[:LATEST_MESSAGES]
    )
    return [body for body in bodies if body.strip()]


def kb_suggestions_for_conversation(
    user: AbstractBaseUser, conversation_id: int
) -> tuple[bool, str, list[Hit]]:
    """`(found, question, hits)`: whether the agent may see the conversation (not found and
    forbidden alike are False), the customer's latest words, and the best articles for them:
    those for the newest message first (the customer's latest topic), then, to fill the three,
    those for the last few messages together."""
    conversation = conversation_get_for_agent(user, conversation_id)
    if conversation is None:
        return False, "", []
    bodies = customer_question(conversation.pk)
    if not bodies:
        return True, "", []
    question = "\n".join(bodies)[:MAX_QUERY]
    hits = kb_search(bodies[0][:MAX_QUERY], audience=Audience.AGENT, limit=SUGGESTIONS)
    if len(hits) < SUGGESTIONS and len(bodies) > 1:
        seen = {hit.article.pk for hit in hits}
        more = kb_search(question, audience=Audience.AGENT, limit=SUGGESTIONS)
        hits += [hit for hit in more if hit.article.pk not in seen][: SUGGESTIONS - len(hits)]
    return True, question, hits


def kb_search_for_customer(query: str, *, language: str, limit: int) -> list[Hit]:
    """Published articles for a customer reading in `language`: that language's matches first,
    then, to fill `limit`, the other languages' (without an article already found in another
    language of the same group)."""
    hits = kb_search(query, audience=Audience.CUSTOMER, language=language, limit=limit)
    if len(hits) >= limit or not query.strip():
        return hits
    groups = {hit.article.translation_of_id or hit.article.pk for hit in hits}
    for other in Language.values:
        if other == language:
            continue
        for hit in kb_search(query, audience=Audience.CUSTOMER, language=other, limit=limit):
            group = hit.article.translation_of_id or hit.article.pk
            if group not in groups and len(hits) < limit:
                groups.add(group)
                hits.append(hit)
    return hits
