"""An optional language model behind an OpenAI-compatible API (issue 13): richer 转工单
summaries and reply drafts. Off unless ASSIST_LLM_URL is set; everything works without it.

    POST {ASSIST_LLM_URL}/chat/completions   (desk.kernel.http, house rule 9)
    {"model": ..., "messages": [...], "max_tokens": ..., "temperature": ...}
    Authorization: Bearer ASSIST_LLM_API_KEY

What is sent is bounded and minimised: the last `TRANSCRIPT_MESSAGES` public messages, each
clipped, at most `TRANSCRIPT_CHARS` in all, with e-mail addresses and phone numbers masked; no
names, no customer record. The answer is `choices[0].message.content`. Every failure is one of
the typed `LlmError`s below; the key is never logged (only the status and kind of a failure).
"""

import logging
import re

from django.conf import settings

from chat.models import Conversation, Message, SenderType
from desk.kernel import http
from tickets.assist.summary import SUMMARY_CHARS, conversation_summary

log = logging.getLogger(__name__)

TRANSCRIPT_MESSAGES = 30  # the last public messages sent to the model
MESSAGE_CHARS = 1000  # each one clipped to this
TRANSCRIPT_CHARS = 6000  # and all of them, from the newest back
SUMMARY_TEMPERATURE = 0.2
DRAFT_TEMPERATURE = 0.4
CONNECT_TIMEOUT = 5.0

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# An international number (+86 138 0013 8000), a Chinese mobile (13800138000) or a grouped
# 3-3-4 number ((555) 123-4567); order numbers without such a shape are left alone.
_PHONE = re.compile(
    r"(?<![\d\w])(?:\+\d{1,3}[\s-]?\d[\d\s-]{5,14}\d|1[3-9]\d{9}|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})"
    r"(?!\d)"
)

SUMMARY_PROMPT = (
    "You summarise customer-service conversations for a support ticket. Write one short "
    "paragraph, in the customer's language, saying what the customer needs and the facts they "
    "gave (order numbers, products, dates). No greeting, no advice, at most {max_chars} "
    "characters."
)
DRAFT_PROMPT = (
    "You are a polite, concise customer-service agent. Write the agent's next reply to the "
    "customer, in the customer's language, answering their latest question. Do not invent "
    "policies, prices or promises; if something must be checked, say that it will be. If a "
    "knowledge base answer is provided, use it. Reply with the message text only."
)


class LlmError(Exception):
    """The language model could not answer; `kind` says why in one word."""

    kind = "error"


class LlmOff(LlmError):
    """ASSIST_LLM_URL is empty: the feature is off."""

    kind = "off"


class LlmTimeout(LlmError):
    kind = "timeout"


class LlmUnavailable(LlmError):
    """The endpoint could not be reached (refused, blocked by the guard, TLS, too large)."""

    kind = "unavailable"


class LlmProviderError(LlmError):
    """The endpoint answered with an error status."""

    kind = "provider"

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


class LlmMalformed(LlmError):
    """The answer was not a chat completion with text in `choices[0].message.content`."""

    kind = "malformed"


def enabled() -> bool:
    return bool(settings.ASSIST_LLM_URL)


def mask(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by placeholders."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def _clip(text: str, size: int) -> str:
    text = text.strip()
    return text if len(text) <= size else text[: size - 1] + "…"


def bounded(lines: list[str], *, budget: int = TRANSCRIPT_CHARS) -> list[str]:
    """The newest lines that fit in `budget` characters, masked and clipped, oldest first."""
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        line = _clip(mask(line), MESSAGE_CHARS)
        if kept and used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    return kept[::-1]


def transcript(conversation: Conversation) -> list[str]:
    """The conversation's last public messages, `Customer: …` / `Agent: …`, bounded."""
    rows = (
        Message.objects.filter(
            conversation=conversation,
            is_internal=False,
            sender_type__in=(SenderType.CUSTOMER, SenderType.AGENT, SenderType.BOT),
        )
        .exclude(body="")
        .order_by("-seq")
        .values_list("sender_type", "body")[:TRANSCRIPT_MESSAGES]
    )
    lines = [
        f"{'Customer' if sender == SenderType.CUSTOMER else 'Agent'}: {body}"
        for sender, body in reversed(list(rows))
    ]
    return bounded(lines)


def complete(messages: list[dict[str, str]], *, temperature: float) -> str:
    """The model's answer to a chat; raises an `LlmError`."""
    if not enabled():
        raise LlmOff("The language model is not configured.")
    url = f"{settings.ASSIST_LLM_URL}/chat/completions"
    headers = {"Accept": "application/json"}
    if settings.ASSIST_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.ASSIST_LLM_API_KEY}"
    body = {
        "model": settings.ASSIST_LLM_MODEL,
        "messages": messages,
        "max_tokens": settings.ASSIST_LLM_MAX_TOKENS,
        "temperature": temperature,
    }
    read = float(settings.ASSIST_LLM_TIMEOUT_SECONDS)
    timeout = (min(CONNECT_TIMEOUT, read), read)
    try:
        response = http.request(
            "POST", url, json=body, headers=headers, timeout=timeout, retries=0, max_bytes=1024**2
        )
    except http.Timeout as exc:
        log.warning("language model: no answer within %s s", settings.ASSIST_LLM_TIMEOUT_SECONDS)
        raise LlmTimeout(str(exc)) from None
    except http.HttpStatusError as exc:
        log.warning("language model: HTTP %s", exc.status)
        raise LlmProviderError(f"HTTP {exc.status}", status=exc.status) from None
    except http.OutboundError as exc:
        log.warning("language model unreachable (%s)", exc.kind)
        raise LlmUnavailable(exc.kind) from None
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("language model: the answer is not a chat completion")
        raise LlmMalformed("The answer is not a chat completion.") from None
    if not isinstance(content, str) or not content.strip():
        log.warning("language model: the answer has no text")
        raise LlmMalformed("The answer has no text.")
    return content.strip()


class LlmSummariser:
    """A `Summariser` (tickets.assist.summary) asking the language model; raises `LlmError`."""

    def __init__(self) -> None:
        self.asked = False  # whether the model was asked (not when the customer said nothing)

    def summarise(self, texts: list[str], *, max_chars: int = SUMMARY_CHARS) -> str:
        self.asked = True
        lines = bounded([f"Customer: {text}" for text in texts])
        answer = complete(
            [
                {"role": "system", "content": SUMMARY_PROMPT.format(max_chars=max_chars)},
                {"role": "user", "content": "\n".join(lines)},
            ],
            temperature=SUMMARY_TEMPERATURE,
        )
        answer = " ".join(answer.split())
        return answer if len(answer) <= max_chars else answer[: max_chars - 1] + "…"


def summary_with_source(conversation: Conversation) -> tuple[str, str]:
    """The 转工单 draft's summary and which summariser wrote it ("llm" or "extractive"): the
    language model when configured, the extractive one when it is off or fails in any way."""
    if enabled():
        summariser = LlmSummariser()
        try:
            summary = conversation_summary(conversation, summariser=summariser)
            return summary, "llm" if summariser.asked else "extractive"
        except LlmError as exc:
            log.info("summary falls back to the extractive one (%s)", exc.kind)
        except Exception:  # the draft never fails because of the endpoint
            log.exception("summary falls back to the extractive one")
    return conversation_summary(conversation), "extractive"


def reply_draft(conversation: Conversation, *, knowledge: str = "") -> str:
    """A reply the agent may edit and send; raises `LlmError` (`LlmOff` when off)."""
    if not enabled():
        raise LlmOff("The language model is not configured.")
    lines = transcript(conversation)
    user = "Conversation so far:\n" + "\n".join(lines)
    if knowledge:
        user += "\n\nKnowledge base answer that may help:\n" + _clip(mask(knowledge), 2000)
    return complete(
        [{"role": "system", "content": DRAFT_PROMPT}, {"role": "user", "content": user}],
        temperature=DRAFT_TEMPERATURE,
    )
