"""The classifier's fallback: each category's keywords, edited by supervisors in the admin
(`CategoryKeywords`, inline on the category)."""

from tickets.models import Category, CategoryKeywords

# A keyword is a guess, not a measurement: one word found is 60 %, each more adds 10 %, up to
# 90 %; shared with other categories' words it is scaled by its share of all the words found.
KEYWORD_BASE = 0.5
KEYWORD_STEP = 0.1
KEYWORD_MAX = 0.9


def keywords_match(text: str) -> tuple[Category, float] | None:
    """The active category whose keywords the text names most (ties: the longer words), and a
    confidence; None when no keyword is in the text."""
    folded = text.casefold()
    scores: list[tuple[int, int, Category]] = []
    rows = CategoryKeywords.objects.filter(category__is_active=True).select_related("category")
    for row in rows:
        hits = [word for word in row.words() if word.casefold() in folded]
        if hits:
            scores.append((len(hits), sum(map(len, hits)), row.category))
    if not scores:
        return None
    scores.sort(key=lambda s: (s[0], s[1]), reverse=True)
    hits, _length, category = scores[0]
    share = hits / sum(s[0] for s in scores)
    confidence = min(KEYWORD_BASE + KEYWORD_STEP * hits, KEYWORD_MAX) * share
    return category, round(confidence, 3)
