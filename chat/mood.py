"""An angry or urgent customer, from what they wrote (issue 13, offline assistance).

Lexicons and a few rules, Chinese and English: a word from a lexicon counts unless a negation
stands right before it ("不急", "not urgent", "no rush"); "!!!" and a shouted sentence (mostly
capital letters) count as anger. Nothing here reads or writes the database: the routing rules
(chat/assignment/rules.py) raise an upset conversation's priority by one level before its first
routing, and tickets' message handler keeps the flags on the conversation.
"""

import re
from dataclasses import dataclass, field

URGENT_ZH = (
    "立刻", "立即", "马上", "紧急", "急急", "赶紧", "尽快", "十万火急",
    "急用", "着急", "很急", "急",
)  # fmt: skip
URGENT_EN = ("urgent", "asap", "immediately", "right now", "right away", "emergency", "at once")
ANGRY_ZH = (
    "投诉", "太差", "骗子", "垃圾", "12315", "退款", "欺诈", "忽悠", "坑人", "气死", "差评",
    "曝光", "律师", "起诉", "消协", "工商局", "无语", "恶心", "离谱",
)  # fmt: skip
ANGRY_EN = (
    "refund now", "unacceptable", "lawyer", "sue", "scam", "fraud", "ridiculous", "terrible",
    "worst", "complaint", "disgusting", "furious", "angry", "rip-off", "ripoff",
)  # fmt: skip
# "退款" alone is a normal request; "退款" after a demand word is anger: kept in rules below.
ANGRY_ZH_PLAIN = tuple(word for word in ANGRY_ZH if word != "退款")

NEGATIONS_ZH = (
    "不",
    "没",
    "别",
    "无需",
    "不用",
    "不必",
    "并不",
    "没有",
    "勿",
    "不是",
    "不算",
    "不是很",
)
NEGATIONS_EN = ("not", "no", "don't", "dont", "isn't", "isnt", "never", "without", "nothing")
# "不太差" is praise; "不急" is calm; but "非常不满" and "太不像话" are anger of their own.
ANGRY_PHRASES_ZH = ("不满", "不像话", "不靠谱", "不讲理", "不负责")

_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_SENTENCES = re.compile(r"[^.!?。！？\n]+")
EXCLAIM = re.compile(r"[!！]{3,}")
SHOUT_MIN_LETTERS = 8  # "OK" or "VIP" is not shouting


@dataclass(frozen=True)
class Mood:
    urgent: bool = False
    angry: bool = False
    words: list[str] = field(default_factory=list)  # what matched, as written in the lexicon

    @property
    def upset(self) -> bool:
        return self.urgent or self.angry


def _zh_negated(text: str, start: int) -> bool:
    before = text[max(0, start - 3) : start]
    return any(before.endswith(neg) for neg in NEGATIONS_ZH)


def _zh_hits(text: str, words: tuple[str, ...]) -> list[str]:
    """Lexicon words in the text, longest first: a shorter word inside a longer one's place
    ("急" in "不着急") is that word, negated or not, never a hit of its own."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for word in sorted(words, key=len, reverse=True):
        for match in re.finditer(re.escape(word), text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            if not _zh_negated(text, span[0]) and word not in found:
                found.append(word)
    return found


def _en_hits(text: str, phrases: tuple[str, ...]) -> list[str]:
    tokens = _LATIN_WORD.findall(text)
    found: list[str] = []
    for phrase in phrases:
        parts = phrase.split()
        size = len(parts)
        for i in range(len(tokens) - size + 1):
            if tokens[i : i + size] != parts:
                continue
            before = tokens[max(0, i - 2) : i]
            if any(word in NEGATIONS_EN for word in before) or before[-1:] == ["no"]:
                continue
            found.append(phrase)
            break
    return found


def _shouting(text: str) -> bool:
    for sentence in _SENTENCES.findall(text):
        letters = [c for c in sentence if c.isascii() and c.isalpha()]
        if len(letters) >= SHOUT_MIN_LETTERS and all(c.isupper() for c in letters):
            return True
    return False


def text_mood(text: str) -> Mood:
    """Urgent and angry flags of one text, with the words that made them."""
    if not text or not text.strip():
        return Mood()
    folded = text.casefold()
    urgent = _zh_hits(text, URGENT_ZH) + _en_hits(folded, URGENT_EN)
    angry = _zh_hits(text, ANGRY_ZH_PLAIN) + _en_hits(folded, ANGRY_EN)
    angry += [p for p in ANGRY_PHRASES_ZH if p in text and p not in angry]
    if re.search(r"(马上|立刻|立即|赶紧)\s*(给我)?\s*退款", text):
        angry.append("退款")
    if EXCLAIM.search(text):
        angry.append("!!!")
    if _shouting(text):
        angry.append("ALL CAPS")
    return Mood(urgent=bool(urgent), angry=bool(angry), words=list(dict.fromkeys(urgent + angry)))


def moods_merge(old_words: list[str], new: Mood) -> list[str]:
    """The words kept on a conversation: what it had, then what is new, once each."""
    return list(dict.fromkeys([*old_words, *new.words]))
