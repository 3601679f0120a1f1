"""The widget's help (self-service): search, opening an article (a recorded view), the vote, the
deflection sweep and the admin's per-article figures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import Message
from chat.tests.factories import (
    ConversationFactory,
    MessageFactory,
    WidgetSiteFactory,
    WidgetVisitorFactory,
)
from chat.widget.sessions import visitor_token
from desk.kb.deflection import kb_views_settle
from desk.kb.tasks import kb_views_settle_task
from desk.models import DEFLECTION_WINDOW, ArticleView, KbArticle
from desk.tests.factories import KbArticleFactory, KbCategoryFactory
from desk.tests.test_kb_api import elements

pytestmark = pytest.mark.django_db

SEARCH = reverse("widget-api:kb-search")


def view_url(article_id):
    return reverse("widget-api:kb-article-view", args=[article_id])


def vote_url(view_id):
    return reverse("widget-api:kb-vote", args=[view_id])


@pytest.fixture
def articles():
    faq = KbCategoryFactory(name="售后 After-sales")
    zh = KbArticleFactory(
        category=faq, title="如何申请退款", language="zh-hans", tags="退款, refund",
        body="签收后 7 天内可以申请**退款**：\n\n1. 打开“我的订单”\n2. 点击“申请退款”",
    )  # fmt: skip
    en = KbArticleFactory(
        category=faq, title="How to request a refund", language="en", translation_of=zh,
        body="Open **My orders** and tap *Request a refund* (退款).",
    )  # fmt: skip
    en_only = KbArticleFactory(
        category=faq, title="Refund of gift cards", language="en",
        body="Gift cards cannot be refunded (退款).",
    )  # fmt: skip
    internal = KbArticleFactory(
        category=faq, title="退款审批流程（内部）", status="internal", body="超过 500 元要审批退款"
    )
    draft = KbArticleFactory(category=faq, title="退款草稿", status="draft", body="退款")
    archived = KbArticleFactory(category=faq, title="旧退款政策", status="archived", body="退款")
    return {
        "zh": zh, "en": en, "en_only": en_only,
        "internal": internal, "draft": draft, "archived": archived,
    }  # fmt: skip


@pytest.fixture
def visitor():
    return WidgetVisitorFactory(site=WidgetSiteFactory(key="shop"))


@pytest.fixture
def token(visitor):
    return visitor_token(visitor)


def search(client, token, q, lang="zh-hans"):
    return client.get(SEARCH, {"q": q, "lang": lang}, HTTP_X_VISITOR_TOKEN=token)


def open_article(client, token, article_id):
    return client.post(view_url(article_id), HTTP_X_VISITOR_TOKEN=token)


# ---- search -------------------------------------------------------------------------------


def test_search_finds_published_articles_only_in_the_widgets_language_first(
    client, token, articles
):
    response = search(client, token, "退款")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    ids = [hit["id"] for hit in results]
    assert ids[0] == articles["zh"].pk
    # The Chinese article's English translation is not offered again; the English-only one is.
    assert ids == [articles["zh"].pk, articles["en_only"].pk]
    assert results[0] == {
        "id": articles["zh"].pk,
        "title": "如何申请退款",
        "language": "zh-hans",
        "snippet_html": results[0]["snippet_html"],
    }
    assert "<mark>退款</mark>" in results[0]["snippet_html"]


def test_search_in_english_puts_english_articles_first(client, token, articles):
    ids = [hit["id"] for hit in search(client, token, "refund", lang="en").json()["results"]]
    assert set(ids[:2]) == {articles["en"].pk, articles["en_only"].pk}
    assert articles["zh"].pk not in ids  # its English version is there already


def test_an_empty_query_finds_nothing(client, token, articles):
    assert search(client, token, "  ").json() == {"results": []}


def test_a_query_over_200_characters_is_refused(client, token, articles):
    response = search(client, token, "退" * 201)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "q" in response.json()["error"]["fields"]
    assert search(client, token, "退" * 200).status_code == 200


def test_search_needs_a_visitor_token(client, articles):
    response = client.get(SEARCH, {"q": "退款"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_token"


def test_help_is_rate_limited_per_visitor(client, token, articles, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "kb.visitor": (3, 60)}
    for _ in range(3):
        assert search(client, token, "退款").status_code == 200
    refused = search(client, token, "退款")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert open_article(client, token, articles["zh"].pk).status_code == 429
    assert ArticleView.objects.count() == 0
    other = visitor_token(WidgetVisitorFactory(site=WidgetSiteFactory(key="shop")))
    assert search(client, other, "退款").status_code == 200


# ---- opening an article records a view ----------------------------------------------------


def test_opening_an_article_answers_its_clean_html_and_records_the_view(
    client, token, visitor, articles
):
    response = open_article(client, token, articles["zh"].pk)
    assert response.status_code == 201, response.content
    data = response.json()
    view = ArticleView.objects.get()
    assert data == {
        "view_id": view.pk,
        "article": {
            "id": articles["zh"].pk,
            "title": "如何申请退款",
            "language": "zh-hans",
            "body_html": articles["zh"].body_html,
        },
    }
    assert (view.article, view.site, view.customer) == (
        articles["zh"],
        visitor.site,
        visitor.customer,
    )
    assert view.before_conversation is True
    assert view.asked_agent is None and view.helpful is None


def test_a_view_during_a_chat_is_not_before_one(client, token, visitor, articles):
    ConversationFactory(customer=visitor.customer, status="open")
    assert open_article(client, token, articles["zh"].pk).status_code == 201
    assert ArticleView.objects.get().before_conversation is False


@pytest.mark.parametrize("name", ["internal", "draft", "archived"])
def test_only_published_articles_open(client, token, articles, name):
    response = open_article(client, token, articles[name].pk)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not ArticleView.objects.exists()


def test_a_hostile_body_reaches_the_widget_cleaned(client, token):
    evil = KbArticleFactory(
        title="<img src=x onerror=alert(1)>",
        body='Hi <script>window.__xss=1</script> <img src=x onerror="window.__xss=2">'
        "\n\n[click](javascript:window.__xss=3)",
    )
    html = open_article(client, token, evil.pk).json()["article"]["body_html"]
    found = elements(html)
    assert "script" not in [tag for tag, _attrs in found]
    for _tag, attrs in found:
        assert not any(name.startswith("on") for name in attrs)
        assert not attrs.get("href", "").startswith("javascript:")


def test_the_visitor_votes_on_their_own_view(client, token, visitor, articles):
    view_id = open_article(client, token, articles["zh"].pk).json()["view_id"]
    response = client.post(
        vote_url(view_id), {"helpful": False}, content_type="application/json",
        HTTP_X_VISITOR_TOKEN=token,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json() == {"view_id": view_id, "helpful": False}
    client.post(
        vote_url(view_id), {"helpful": True}, content_type="application/json",
        HTTP_X_VISITOR_TOKEN=token,
    )  # fmt: skip
    assert ArticleView.objects.get().helpful is True

    other = visitor_token(WidgetVisitorFactory(site=visitor.site))
    refused = client.post(
        vote_url(view_id), {"helpful": False}, content_type="application/json",
        HTTP_X_VISITOR_TOKEN=other,
    )  # fmt: skip
    assert refused.status_code == 404
    assert ArticleView.objects.get().helpful is True


# ---- deflection ---------------------------------------------------------------------------


def viewed(article, visitor, ago):
    return ArticleView.objects.create(
        article=article,
        site=visitor.site,
        customer=visitor.customer,
        viewed_at=timezone.now() - ago,
        before_conversation=True,
    )


def customer_wrote(visitor, at, sender_type="customer"):
    conversation = ConversationFactory(customer=visitor.customer)
    message = MessageFactory(conversation=conversation, sender_type=sender_type)
    Message.objects.filter(pk=message.pk).update(created_at=at)


def test_a_customer_who_wrote_after_reading_was_not_deflected(visitor, articles):
    view = viewed(articles["zh"], visitor, timedelta(hours=1))
    customer_wrote(visitor, view.viewed_at + timedelta(minutes=10))
    assert kb_views_settle() == 1
    view.refresh_from_db()
    assert view.asked_agent is True


def test_a_customer_who_did_not_write_was_deflected(visitor, articles):
    view = viewed(articles["zh"], visitor, timedelta(hours=2))
    customer_wrote(visitor, view.viewed_at - timedelta(minutes=5))  # before reading
    customer_wrote(visitor, view.viewed_at + DEFLECTION_WINDOW + timedelta(minutes=1))  # later
    customer_wrote(visitor, view.viewed_at + timedelta(minutes=3), sender_type="agent")
    other = WidgetVisitorFactory(site=visitor.site)
    customer_wrote(other, view.viewed_at + timedelta(minutes=3))  # someone else
    assert kb_views_settle() == 1
    view.refresh_from_db()
    assert view.asked_agent is False


def test_a_view_inside_its_window_waits_and_settling_twice_changes_nothing(visitor, articles):
    recent = viewed(articles["zh"], visitor, timedelta(minutes=5))
    old = viewed(articles["zh"], visitor, timedelta(hours=1))
    assert kb_views_settle_task() == 1
    assert kb_views_settle() == 0
    recent.refresh_from_db()
    old.refresh_from_db()
    assert recent.asked_agent is None and old.asked_agent is False
    # Later, the recent one settles by what happened in its own window.
    customer_wrote(visitor, recent.viewed_at + timedelta(minutes=1))
    assert kb_views_settle(now=timezone.now() + DEFLECTION_WINDOW) == 1
    recent.refresh_from_db()
    assert recent.asked_agent is True


# ---- the admin ----------------------------------------------------------------------------


def test_the_admin_lists_views_and_the_deflection_rate_per_article(
    supervisor_client, visitor, articles
):
    zh, en = articles["zh"], articles["en"]
    for asked in (True, False, False, False):
        view = viewed(zh, visitor, timedelta(hours=1))
        ArticleView.objects.filter(pk=view.pk).update(asked_agent=asked, helpful=not asked)
    ArticleView.objects.filter(article=zh).filter(pk=view.pk).update(before_conversation=False)
    viewed(zh, visitor, timedelta(minutes=1))  # not settled: not in the rate
    viewed(en, visitor, timedelta(hours=1))
    ArticleView.objects.filter(article=en).update(asked_agent=True)

    url = reverse("admin:desk_kbarticle_changelist")
    response = supervisor_client.get(url)
    assert response.status_code == 200
    rows = {row.pk: row for row in response.context["cl"].result_list}
    assert (rows[zh.pk].kb_views, rows[zh.pk].kb_before_chat, rows[zh.pk].kb_asked) == (5, 4, 1)
    assert rows[zh.pk].kb_deflection == pytest.approx(0.75)
    assert rows[en.pk].kb_deflection == 0.0
    assert rows[articles["draft"].pk].kb_deflection is None
    html = response.content.decode()
    assert "75%" in html and "3 / 1" in html

    # Sortable: by the deflection rate, highest first.
    column = response.context["cl"].list_display.index("deflection_rate")
    response = supervisor_client.get(url, {"o": f"-{column}"})
    ordered = [row.pk for row in response.context["cl"].result_list]
    assert ordered.index(zh.pk) < ordered.index(en.pk)
    response = supervisor_client.get(url, {"o": str(column)})
    ordered = [row.pk for row in response.context["cl"].result_list]
    assert ordered.index(en.pk) < ordered.index(zh.pk)


def test_the_admin_lists_article_views_read_only(supervisor_client, visitor, articles):
    viewed(articles["zh"], visitor, timedelta(hours=1))
    response = supervisor_client.get(reverse("admin:desk_articleview_changelist"))
    assert response.status_code == 200
    assert "如何申请退款" in response.content.decode()
    assert KbArticle.objects.filter(views__isnull=False).count() == 1


def test_search_takes_a_fixed_number_of_queries(client, token, articles, django_assert_num_queries):
    for n in range(6):
        KbArticleFactory(title=f"退款问题 {n}", language="en", body="退款 refund")
    # the token's visitor, then each language's search: the best postings, the articles
    # (desk/kb/search.py; no spelling pass)
    with django_assert_num_queries(5):
        response = search(client, token, "退款")
    assert len(response.json()["results"]) == 8
