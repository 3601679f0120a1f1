"""The ticket category of a customer's text: a scikit-learn model trained from the project's own
resolved tickets (TF-IDF over the segmented terms, logistic regression so a confidence exists),
with each category's keywords as the fallback (keywords.py) when there is no trained model, too
few examples, or the model is unsure.

The model lives in the database (`CategoryClassifier`: joblib bytes, version, counts, held-out
accuracy), loaded once per process and again only when a newer version appears. Supervisors
retrain it from the admin (a Celery task calls `classifier_train`).
"""

import io
import logging
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from tickets.assist import features, keywords
from tickets.models import Category, CategoryClassifier, Ticket, TicketStatus

log = logging.getLogger(__name__)

MIN_SAMPLES = 20  # resolved tickets with a category, in all, before a model is trained
MIN_PER_CLASS = 3  # a category with fewer examples is left to its keywords
CONFIDENCE_MIN = (
    0.35  # below this the keywords decide (six categories: an unrelated text scores ~0.23)
)
TEST_SHARE = 0.2  # held out to measure the accuracy stored with the version
SAMPLES_MAX = 20000  # the newest resolved tickets trained on
TEXT_CHARS = 4000  # of a ticket's subject and description


class Source:
    MODEL = "model"
    KEYWORDS = "keywords"


@dataclass(frozen=True)
class Prediction:
    category_id: int
    name: str
    confidence: float  # 0–1
    source: str  # Source.MODEL or Source.KEYWORDS


# ---- training -----------------------------------------------------------------------------


def training_samples() -> tuple[list[str], list[int]]:
    """(texts, category ids) of resolved and closed tickets in active categories, newest first."""
    rows = (
        Ticket.objects.filter(
            status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED],
            category__isnull=False,
            category__is_active=True,
        )
        .order_by("-id")
        .values_list("subject", "description", "category_id")[:SAMPLES_MAX]
    )
    texts, labels = [], []
    for subject, description, category_id in rows:
        text = f"{subject}\n{description}"[:TEXT_CHARS]
        if text.strip():
            texts.append(text)
            labels.append(category_id)
    return texts, labels


def _pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(features.vectoriser(min_df=1), LogisticRegression(C=30.0, max_iter=2000))


def model_fit(texts: list[str], labels: list[int]) -> tuple[Any, float | None]:
    """A pipeline fitted on everything, and its accuracy on a stratified held-out share (fitted
    apart first); None when the set is too small to hold any out."""
    from sklearn.model_selection import train_test_split

    accuracy = None
    classes = len(set(labels))
    test_size = max(classes, round(len(texts) * TEST_SHARE))
    if len(texts) - test_size >= classes * 2:
        train_x, test_x, train_y, test_y = train_test_split(
            texts, labels, test_size=test_size, stratify=labels, random_state=13
        )
        probe = _pipeline().fit(train_x, train_y)
        accuracy = float(probe.score(test_x, test_y))
    return _pipeline().fit(texts, labels), accuracy


def classifier_train() -> CategoryClassifier | None:
    """Train on the resolved tickets and store the next version; None (nothing stored) when
    there are fewer than MIN_SAMPLES examples or fewer than two categories with MIN_PER_CLASS."""
    import joblib

    texts, labels = training_samples()
    counts = Counter(labels)
    kept = [(t, y) for t, y in zip(texts, labels, strict=True) if counts[y] >= MIN_PER_CLASS]
    classes = {y for _, y in kept}
    if len(kept) < MIN_SAMPLES or len(classes) < 2:
        log.info("category classifier: %d samples in %d categories, not trained", len(kept),
                 len(classes))  # fmt: skip
        return None
    texts, labels = [t for t, _ in kept], [y for _, y in kept]
    model, accuracy = model_fit(texts, labels)
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    names = dict(Category.objects.filter(pk__in=classes).values_list("pk", "name"))
    per_class = {names[y]: n for y, n in Counter(labels).most_common()}
    for _attempt in range(3):  # two supervisors retraining at once: the next free version
        try:
            with transaction.atomic():
                newest = CategoryClassifier.objects.aggregate(v=Max("version"))["v"] or 0
                return CategoryClassifier.objects.create(
                    version=newest + 1,
                    model=buffer.getvalue(),
                    sample_count=len(texts),
                    class_counts=per_class,
                    accuracy=accuracy,
                )
        except IntegrityError:
            continue
    raise RuntimeError("no free classifier version")


# ---- loading, cached per process ----------------------------------------------------------

_loaded: dict[str, Any] = {"version": None, "model": None}


def newest_version() -> int | None:
    return CategoryClassifier.objects.values_list("version", flat=True).order_by("-version").first()


def model_current() -> tuple[int | None, Any]:
    """(version, pipeline) of the newest stored model, loaded again only when the version
    changed; (None, None) when none is trained."""
    import joblib

    version = newest_version()
    if version is None:
        return None, None
    if _loaded["version"] != version:
        blob = CategoryClassifier.objects.values_list("model", flat=True).get(version=version)
        _loaded.update(version=version, model=joblib.load(io.BytesIO(bytes(blob))))
        _model_predict.cache_clear()
    return version, _loaded["model"]


@lru_cache(maxsize=512)
def _model_predict(version: int, text: str) -> tuple[int, float] | None:
    """(category id, probability) of the model's best guess; cached by version and text, so
    routing's detector and the message handler that follows it classify a message once."""
    model = _loaded["model"]
    if model is None or _loaded["version"] != version:
        return None
    probabilities = model.predict_proba([text])[0]
    best = int(probabilities.argmax())
    return int(model.classes_[best]), float(probabilities[best])


# ---- classifying --------------------------------------------------------------------------


def text_classify(text: str) -> Prediction | None:
    """The category of `text`: the model's when it is sure enough, else the keywords', else
    the model's unsure guess is dropped and None is returned."""
    text = text[:TEXT_CHARS]
    if not text.strip():
        return None
    version, _model = model_current()
    guess = _model_predict(version, text) if version is not None else None
    if guess is not None and guess[1] >= CONFIDENCE_MIN:
        category = Category.objects.filter(pk=guess[0], is_active=True).first()
        if category is not None:
            return Prediction(category.pk, category.name, round(guess[1], 3), Source.MODEL)
    found = keywords.keywords_match(text)
    if found is not None:
        category, confidence = found
        return Prediction(category.pk, category.name, confidence, Source.KEYWORDS)
    return None


def categories_detect(text: str) -> list[str]:
    """Routing's category detector (registered from tickets/apps.py): the detected category's
    name, for rules with a category condition."""
    prediction = text_classify(text)
    return [prediction.name] if prediction else []
