"""The category classifier (issue 13): trained from generated bilingual resolved tickets, held-out
accuracy stored and measured, keyword fallback, per-process cache by version, and the admin's
retrain button and action that queue the task."""

import pytest

from tickets.assist import classifier
from tickets.assist.classifier import Source, classifier_train, text_classify
from tickets.models import CategoryClassifier, CategoryKeywords
from tickets.tests.assist_data import PHRASES, resolved_tickets, samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forget_the_model():
    classifier._loaded.update(version=None, model=None)
    classifier._model_predict.cache_clear()
    yield
    classifier._loaded.update(version=None, model=None)
    classifier._model_predict.cache_clear()


def test_training_stores_a_version_with_counts_and_held_out_accuracy():
    resolved_tickets(30, seed=1)
    trained = classifier_train()
    assert trained is not None and trained.version == 1
    assert trained.sample_count == 180
    assert trained.class_counts == dict.fromkeys(PHRASES, 30)
    assert trained.accuracy >= 0.8
    assert bytes(trained.model)[:1] == b"x"  # joblib's zlib stream, in the row: no file anywhere
    assert classifier_train().version == 2


def test_accuracy_on_new_generated_tickets_is_at_least_80_percent():
    resolved_tickets(30, seed=1)
    classifier_train()
    fresh = samples(15, seed=7)
    right = sum(
        1
        for category, subject, description in fresh
        if (p := text_classify(f"{subject}\n{description}")) and p.name == category
    )
    assert right / len(fresh) >= 0.8


def test_it_names_finance_for_an_invoice_in_either_language():
    resolved_tickets(30, seed=1)
    classifier_train()
    for text in ["我要开发票", "I need an invoice for the reimbursement"]:
        prediction = text_classify(text)
        assert prediction is not None
        assert (prediction.name, prediction.source) == ("财务问题", Source.MODEL)
        assert 0.35 <= prediction.confidence <= 1


def test_too_few_tickets_train_nothing_and_the_keywords_decide():
    categories = resolved_tickets(2, seed=1)  # 12 tickets: under MIN_SAMPLES
    assert classifier_train() is None
    assert not CategoryClassifier.objects.exists()
    assert text_classify("我要开发票") is None
    CategoryKeywords.objects.create(category=categories["财务问题"], keywords="发票，报销\ninvoice")
    CategoryKeywords.objects.create(category=categories["物流配送"], keywords="快递, parcel")
    prediction = text_classify("我要开发票，报销用")
    assert (prediction.name, prediction.source, prediction.confidence) == (
        "财务问题",
        Source.KEYWORDS,
        0.7,
    )
    shared = text_classify("invoice for the parcel")  # one word each: half as sure
    assert shared.confidence == 0.3


def test_an_unsure_model_gives_way_to_the_keywords_or_to_nothing(monkeypatch):
    categories = resolved_tickets(30, seed=1)
    classifier_train()
    monkeypatch.setattr(classifier, "CONFIDENCE_MIN", 1.01)
    assert text_classify("我要开发票") is None
    CategoryKeywords.objects.create(category=categories["会员积分"], keywords="发票")
    prediction = text_classify("我要开发票")
    assert (prediction.name, prediction.source) == ("会员积分", Source.KEYWORDS)


def test_an_inactive_category_is_never_named():
    categories = resolved_tickets(30, seed=1)
    classifier_train()
    categories["财务问题"].is_active = False
    categories["财务问题"].save()
    prediction = text_classify("我要开发票")
    assert prediction is None or prediction.name != "财务问题"


def test_the_model_is_loaded_once_per_process_and_again_for_a_new_version(
    django_assert_num_queries,
):
    resolved_tickets(30, seed=1)
    classifier_train()
    version, first = classifier.model_current()
    with django_assert_num_queries(1):  # the newest version's number, nothing else
        assert classifier.model_current() == (version, first)
    classifier_train()
    version, second = classifier.model_current()
    assert version == 2 and second is not first


def test_the_admin_button_and_action_queue_a_retrain_that_stores_a_new_version(
    supervisor_client, django_capture_on_commit_callbacks
):
    resolved_tickets(30, seed=1)
    url = "/admin/tickets/categoryclassifier/"
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(url + "retrain/")
    assert response.status_code == 302
    first = CategoryClassifier.objects.get()
    page = supervisor_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Retrain now" in page and f"{first.accuracy * 100:.1f}%" in page
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(url, {"action": "retrain", "_selected_action": [first.pk]})
    assert list(CategoryClassifier.objects.values_list("version", flat=True)) == [2, 1]
    assert supervisor_client.get(url + "retrain/").status_code == 302  # GET queues nothing
    assert CategoryClassifier.objects.count() == 2


def test_supervisors_edit_a_categorys_keywords_inline(supervisor_client):
    categories = resolved_tickets(1, seed=1)
    page = supervisor_client.get(f"/admin/tickets/category/{categories['财务问题'].pk}/change/")
    assert page.status_code == 200
    assert "assist_keywords-TOTAL_FORMS" in page.content.decode()
