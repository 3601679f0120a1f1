"""The text features every assistance model shares: the terms of desk.kernel.search.text
(Chinese segmented with rjieba, English stemmed, stop words dropped)."""

from desk.kernel.search.text import terms


def tokens(text: str) -> list[str]:
    """The vectoriser's tokenizer: a module-level function, so a pickled model finds it."""
    return terms(text)


def vectoriser(**options: object):
    """TF-IDF over words and pairs of neighbouring words."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    settings: dict = {"ngram_range": (1, 2), "sublinear_tf": True, **options}
    return TfidfVectorizer(tokenizer=tokens, lowercase=False, token_pattern=None, **settings)
