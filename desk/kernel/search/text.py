"""Text into search terms, the same way for what is indexed and for what is asked.

Chinese has no spaces: rjieba (the Rust port of jieba) cuts it into words, in search mode, so a
long word also yields its shorter dictionary words (怎么办 → 怎么, 怎么办). Letters of other
scripts are lower-cased and English words stemmed (Snowball: refunds → refund, shipping → ship);
digits stay as they are (an order number 12345 is a term). Stop words of both languages are
dropped. A term is one run of Chinese characters, of letters, or of digits, so PostgreSQL's
`simple` parser and SQLite's `unicode61` tokenizer read the stored text as exactly these terms.
"""

import re
import unicodedata
from functools import lru_cache

import rjieba
import snowballstemmer

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECE = re.compile(rf"[{CJK}]+|[^\W\d_]+|\d+")
_CJK_RUN = re.compile(rf"^[{CJK}]+$")
_LATIN = re.compile(r"^[a-z]+$")

_STOP_WORDS = (
    # Chinese particles, pronouns and question words that say nothing about the topic
    "的 了 吗 呢 啊 吧 呀 么 是 在 和 与 及 或 就 都 也 还 又 很 我 你 您 他 她 它 我们 你们 "
    "这 那 这个 那个 怎么 怎么办 怎样 如何 什么 为什么 为何 哪里 哪儿 请问 请 一下 可以 能 能否 "
    "要 想 会 有 没 不 吗 呢 个 把 被 让 给 对 从 到 "
    # English
    "a an the is are was were be been am do does did to of and or for in on at by with from "
    "my me i you your we our us it its this that these those how what why when where which who "
    "can could should would will shall may might must have has had not no yes please there here "
    "so if then than as into about get got"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())

MAX_TERMS = 32  # of one query; the rest of a long text adds little and costs a lot
PREFIX_MIN = 4  # a Latin word still being typed matches longer words from this many letters

_stemmer = snowballstemmer.stemmer("english")


def normalize(text: str) -> str:
    """Full-width forms as their usual ones (ＡＢＣ１２３ → abc123), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=20000)
def _term(piece: str) -> str:
    return _stemmer.stemWord(piece) if _LATIN.match(piece) else piece


def is_cjk(term: str) -> bool:
    return bool(_CJK_RUN.match(term))


def terms(text: str) -> list[str]:
    """Every term of `text` in order, repeats kept (what the index stores)."""
    out: list[str] = []
    for word in rjieba.cut_for_search(normalize(text)):
        for piece in _PIECE.findall(word):
            if piece in STOP_WORDS:
                continue
            term = _term(piece)
            if term and term not in STOP_WORDS:
                out.append(term)
    return out


def index_text(text: str) -> str:
    """The pre-segmented text stored for the index: its terms, separated by spaces."""
    return " ".join(terms(text))


def query_terms(query: str) -> list[str]:
    """The distinct terms of a query, in order, at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for term in terms(query):
        seen.setdefault(term, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def typed_prefixes(query: str, terms: list[str]) -> frozenset[str]:
    """The query's last term when the query ends in it (the word being typed, `earph` of
    `my earph`) and it is a Latin word of PREFIX_MIN letters or more: it also matches longer
    words. Only the last: a finished word matching longer ones (`charg` of "charged" finding
    "charger") costs more than it finds."""
    if not terms or not query or not query[-1].isalnum():
        return frozenset()
    last = terms[-1]
    if len(last) < PREFIX_MIN or not _LATIN.match(last):
        return frozenset()
    return frozenset([last])


def word_term(word: str) -> str:
    """The term one word of a text stands for (used to find a term's places in a text)."""
    return _term(normalize(word))


def within_one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter added, dropped, changed, or two neighbours swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        rest_a, rest_b = a[i + 1 :], b[i + 1 :]
        swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
        return rest_a == rest_b or (swapped and a[i + 2 :] == b[i + 2 :])
    return a[i:] == b[i + 1 :]


def corrections(term: str, vocabulary: list[str]) -> list[str]:
    """The words of `vocabulary` one edit away from a misspelt Latin `term` (`refnd` → `refund`,
    `pasword` → `password`), at most three, the most alike first. Only for terms of five
    letters or more: shorter words have too many neighbours to guess from."""
    if len(term) < 5 or not _LATIN.match(term):
        return []
    near = [word for word in vocabulary if word != term and within_one_edit(term, word)]
    near.sort(key=lambda word: (abs(len(word) - len(term)), word))
    return near[:3]
