"""A few lines of a text around the terms a search matched, the matches in <mark>, everything
else escaped: the snippet is safe to put into a page as HTML whatever the text or the query."""

import re
from collections.abc import Iterator
from html import escape

from desk.kernel.search.text import CJK, is_cjk, normalize, word_term

_NON_CJK_WORD = re.compile(rf"[^\W\d_{CJK}]+|\d+")

# Snowball keeps a word's first two letters in its stem, but for three words it spells anew
# (dying → die, lying → lie, tying → tie).
_RESPELT = {"di": "dy", "li": "ly", "ti": "ty"}


def _starts(terms: list[str], prefixes: frozenset[str]) -> frozenset[str]:
    """How a word that may stand for one of the terms begins: a term's first two letters (one
    for a one-letter term), or the whole of a number. Only those words are stemmed."""
    starts: set[str] = set()
    for term in (*terms, *prefixes):
        if term.isdigit():
            starts.add(term)
        elif not is_cjk(term):
            starts.update((term[:2], _RESPELT.get(term[:2], term[:2])))
    return frozenset(starts)


def _words_starting(text: str, starts: frozenset[str]) -> Iterator[re.Match]:
    """The words of `text` (runs of letters or of digits, as `_NON_CJK_WORD` cuts them) that
    begin with one of `starts`: found as plain strings (a pattern of literals compiles fast)
    where no letter or digit of the same run comes before."""
    if not starts:
        return
    finder = re.compile("|".join(re.escape(start) for start in sorted(starts, key=len)[::-1]))
    for found in finder.finditer(text):
        at = found.start()
        before = _NON_CJK_WORD.match(text, at - 1, at + 1) if at else None
        if before is not None and before.end() == at + 1:
            continue  # inside a word (or a number)
        word = _NON_CJK_WORD.match(text, at)
        if word is not None:
            yield word


def match_spans(
    text: str, terms: list[str], prefixes: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Where the terms occur in `text`: Chinese terms as substrings, other words when their term
    (the stem) is one of `terms` or starts with one of `prefixes`; overlapping places merged,
    in order."""
    spans: list[tuple[int, int]] = []
    lowered = normalize(text)
    same_length = len(lowered) == len(text)  # NFKC may change lengths; then only words count
    wanted = set(terms)
    for term in terms:
        if is_cjk(term) and same_length:
            at = lowered.find(term)
            while at != -1:
                spans.append((at, at + len(term)))
                at = lowered.find(term, at + len(term))
    if same_length:
        words = _words_starting(lowered, _starts(terms, prefixes))
    else:
        words = _NON_CJK_WORD.finditer(text)
    for match in words:
        term = word_term(match.group())
        if term in wanted or any(term.startswith(prefix) for prefix in prefixes):
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The `width` characters holding the most matches, starting a little before the first."""
    if not spans or len(text) <= width:
        return 0, min(len(text), width)
    best, best_count = spans[0][0], 0
    for start, _ in spans:
        count = sum(1 for s, e in spans if s >= start and e <= start + width)
        if count > best_count:
            best, best_count = start, count
    begin = max(0, min(best - width // 5, len(text) - width))
    return begin, begin + width


def snippet_html(
    text: str, terms: list[str], *, prefixes: frozenset[str] = frozenset(), width: int = 140
) -> str:
    """Escaped HTML: about `width` characters of `text` on one line around its matches, each
    match in <mark>, "…" where the text was cut."""
    flat = " ".join(text.split())
    spans = match_spans(flat, terms, prefixes)
    begin, end = _window(flat, spans, width)
    parts = ["…" if begin > 0 else ""]
    at = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        parts.append(escape(flat[at:start]))
        parts.append(f"<mark>{escape(flat[start:stop])}</mark>")
        at = stop
    parts.append(escape(flat[at:end]))
    if end < len(flat):
        parts.append("…")
    return "".join(parts)
