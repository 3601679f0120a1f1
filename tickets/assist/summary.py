"""A short summary of a conversation for a ticket's description (issue 13).

The default summariser is extractive and offline: the customer's messages are split into
sentences (Chinese and English punctuation), each becomes a TF-IDF vector over the segmented
terms (desk.kernel.search.text), TextRank over their cosine similarities scores them, and the
best ones, in their original order, fill at most SUMMARY_CHARS. Another summariser (a language
model behind the outbound HTTP client, say) implements `Summariser` and is handed to
`conversation_summary`.
"""

import re
from typing import Protocol

from chat.models import Conversation, Message, SenderType
from tickets.assist import features

SUMMARY_CHARS = 300
SUMMARY_SENTENCES = 5
SHORT = 3
MESSAGES_READ = 100  # the customer's first messages looked at
DAMPING = 0.85
ITERATIONS = 50

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*|[^。！？!?；;\n]*[。！？!?；;]+")
_ENGLISH_STOP = re.compile(r"(?<=[a-zA-Z0-9][.])\s+(?=[A-Z0-9\"'(])")
_CJK_END = re.compile(r"[。！？；\u3400-\u9fff]$")
# Sentences that say nothing about the problem, whatever else scores them.
SMALL_TALK = frozenset((
    "你好", "您好", "在吗", "在不在", "谢谢", "多谢", "好的", "嗯", "哦",
    "hi", "hello", "hey", "thank", "thanks", "ok", "okay",
))  # fmt: skip


class Summariser(Protocol):
    def summarise(self, texts: list[str], *, max_chars: int) -> str:
        """A summary of the customer's messages, in order, at most `max_chars` long."""
        ...


def sentences_split(text: str) -> list[str]:
    """Sentences of a text: at Chinese and English stops and line breaks, the stop kept."""
    out: list[str] = []
    for piece in _SENTENCE.findall(text):
        for sentence in _ENGLISH_STOP.split(piece):
            sentence = sentence.strip()
            if sentence and not all(c in "。！？!?；;. " for c in sentence):
                out.append(sentence)
    return out


def _informative(sentence: str) -> bool:
    words = [t for t in features.tokens(sentence) if t not in SMALL_TALK]
    return bool(words)


def textrank(sentences: list[str]) -> list[float]:
    """Each sentence's TextRank over the cosine similarity of their TF-IDF vectors."""
    import numpy as np
    from sklearn.metrics.pairwise import cosine_similarity

    if len(sentences) < 2:
        return [1.0] * len(sentences)
    try:
        matrix = features.vectoriser(ngram_range=(1, 1)).fit_transform(sentences)
    except ValueError:  # no term at all
        return [1.0] * len(sentences)
    similarity = cosine_similarity(matrix)
    np.fill_diagonal(similarity, 0.0)
    sums = similarity.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    transition = similarity / sums
    size = len(sentences)
    scores = np.full(size, 1.0 / size)
    for _ in range(ITERATIONS):
        scores = (1 - DAMPING) / size + DAMPING * transition.T @ scores
    # Longer sentences carry more facts: a mild boost by their number of terms.
    lengths = np.array([max(1, len(features.tokens(s))) for s in sentences], dtype=float)
    return list(scores * np.log1p(lengths))


def _join(sentences: list[str]) -> str:
    text = ""
    for sentence in sentences:
        glue = "" if not text or _CJK_END.search(text) else " "
        text += glue + sentence
    return text


class ExtractiveSummariser:
    """The default: the most central customer sentences, in their original order."""

    def summarise(self, texts: list[str], *, max_chars: int = SUMMARY_CHARS) -> str:
        seen: set[str] = set()
        sentences = []
        for text in texts:
            for sentence in sentences_split(text):
                if sentence not in seen and _informative(sentence):
                    seen.add(sentence)
                    sentences.append(sentence)
        if not sentences:
            return ""
        scores = textrank(sentences)
        # Below the average a sentence shares little with the rest: an aside, not the problem.
        # A short conversation (SHORT sentences or fewer) is kept whole if it fits.
        floor = sum(scores) / len(scores) if len(sentences) > SHORT else 0.0
        ranked = sorted(
            (i for i in range(len(sentences)) if scores[i] >= floor),
            key=lambda i: (-scores[i], i),
        )
        chosen: list[int] = []
        used = 0
        for index in ranked:
            if len(chosen) == SUMMARY_SENTENCES:
                break
            size = len(sentences[index]) + 1
            if used + size > max_chars:
                continue
            chosen.append(index)
            used += size
        if not chosen:  # one long sentence: its beginning
            return sentences[ranked[0]][: max_chars - 1] + "…"
        return _join([sentences[i] for i in sorted(chosen)])


DEFAULT_SUMMARISER: Summariser = ExtractiveSummariser()


def customer_texts(conversation: Conversation) -> list[str]:
    """The customer's public text messages, oldest first."""
    rows = Message.objects.filter(
        conversation=conversation, sender_type=SenderType.CUSTOMER, is_internal=False
    ).order_by("seq")[:MESSAGES_READ]
    return [body for body in rows.values_list("body", flat=True) if body and body.strip()]


def conversation_summary(
    conversation: Conversation,
    *,
    summariser: Summariser | None = None,
    max_chars: int = SUMMARY_CHARS,
) -> str:
    """What the customer's messages are about, at most `max_chars`; "" when they said nothing."""
    texts = customer_texts(conversation)
    if not texts:
        return ""
    return (summariser or DEFAULT_SUMMARISER).summarise(texts, max_chars=max_chars)
