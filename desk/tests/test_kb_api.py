"""The knowledge base API for agents, the public article page, Markdown safety and the admin."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from chat.tests.factories import ConversationFactory, MessageFactory
from desk.models import KbArticle
from desk.tests.factories import KbArticleFactory, KbCategoryFactory
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("api:kb-search")
SUGGESTIONS = reverse("api:kb-suggestions")
EVIL = 'Refund now <script>window.__xss=1</script> <img src=x onerror="window.__xss=2">'


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html):
    """The elements of an HTML text as a browser would build them: (tag, attributes)."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def article_url(article):
    return reverse("api:kb-article", args=[article.pk])


@pytest.fixture
def articles():
    faq = KbCategoryFactory(name="售后 After-sales")
    zh = KbArticleFactory(
        category=faq, title="如何申请退款", language="zh-hans", tags="退款, refund",
        body="签收后 7 天内可以申请**退款**：\n\n1. 打开“我的订单”\n2. 点击“申请退款”",
    )  # fmt: skip
    en = KbArticleFactory(
        category=faq, title="How to request a refund", language="en", translation_of=zh,
        body="Open **My orders** and tap *Request a refund*.",
    )  # fmt: skip
    internal = KbArticleFactory(
        category=faq, title="退款审批流程（内部）", status="internal", body="超过 500 元要审批退款"
    )
    draft = KbArticleFactory(category=faq, title="退款草稿", status="draft", body="退款")
    return {"zh": zh, "en": en, "internal": internal, "draft": draft}


def test_search_answers_hits_with_snippets(agent_client, articles):
    response = agent_client.get(SEARCH, {"q": "退款"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["title"] for row in results] == ["如何申请退款", "退款审批流程（内部）"]
    first = results[0]
    assert first["category"] == {"id": articles["zh"].category_id, "name": "售后 After-sales"}
    assert first["language"] == "zh-hans"
    assert first["tags"] == ["退款", "refund"]
    assert "<mark>退款</mark>" in first["snippet_html"]
    assert first["answer"] == "签收后 7 天内可以申请退款：\n\n1. 打开“我的订单”\n2. 点击“申请退款”"
    assert first["url"] == f"/help/articles/{articles['zh'].pk}/"
    internal = next(row for row in results if row["status"] == "internal")
    assert internal["url"] is None


def test_search_by_language(agent_client, articles):
    response = agent_client.get(SEARCH, {"q": "退款 refund", "lang": "en"})
    assert [row["title"] for row in response.json()["results"]] == ["How to request a refund"]


def test_empty_query_finds_nothing(agent_client, articles):
    assert agent_client.get(SEARCH).json() == {"results": []}
    assert agent_client.get(SEARCH, {"q": "  "}).json() == {"results": []}


def test_a_long_query_is_refused(agent_client, articles):
    response = agent_client.get(SEARCH, {"q": "退" * 201})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "q" in response.json()["error"]["fields"]
    assert agent_client.get(SEARCH, {"q": "退" * 200}).status_code == 200
    assert agent_client.get(SEARCH, {"q": "x", "lang": "fr"}).status_code == 400


def test_search_is_for_agents_only(client, articles):
    assert client.get(SEARCH, {"q": "退款"}).status_code in (401, 403)


def test_search_takes_a_fixed_number_of_queries(
    agent_client, articles, django_assert_max_num_queries
):
    for n in range(10):
        KbArticleFactory(title=f"退款问题 {n}", body="退款")
    with django_assert_max_num_queries(8):  # session, user, agent profile, rank, articles
        assert len(agent_client.get(SEARCH, {"q": "退款"}).json()["results"]) == 10


def test_article_detail_with_its_versions(agent_client, articles):
    response = agent_client.get(article_url(articles["en"]))
    assert response.status_code == 200
    body = response.json()
    assert body["body_html"] == (
        "<p>Open <strong>My orders</strong> and tap <em>Request a refund</em>.</p>\n"
    )
    assert body["versions"] == [
        {"id": articles["zh"].pk, "title": "如何申请退款", "language": "zh-hans"}
    ]
    assert agent_client.get(article_url(articles["internal"])).status_code == 200
    missing = agent_client.get(article_url(articles["draft"]))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_suggestions_from_the_customers_latest_messages(agent_client, agent, articles):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, body="你好")
    MessageFactory(conversation=conversation, body="我要退款", sender_type="customer")
    MessageFactory(conversation=conversation, body="好的，请稍等", sender_type="agent")
    response = agent_client.get(SUGGESTIONS, {"conversation": conversation.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "我要退款\n你好"
    assert [row["title"] for row in body["results"]] == ["如何申请退款", "退款审批流程（内部）"]


def test_suggestions_of_a_conversation_out_of_reach_are_not_found(agent_client, articles):
    hidden = ConversationFactory(team=TeamFactory())
    MessageFactory(conversation=hidden, body="退款")
    forbidden = agent_client.get(SUGGESTIONS, {"conversation": hidden.pk})
    missing = agent_client.get(SUGGESTIONS, {"conversation": 10**12})
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert agent_client.get(SUGGESTIONS, {"conversation": "x"}).status_code == 400


def test_suggestions_without_customer_words_are_empty(agent_client):
    conversation = ConversationFactory()
    response = agent_client.get(SUGGESTIONS, {"conversation": conversation.pk})
    assert response.json() == {"question": "", "results": []}


# ---- Markdown and the public page -----------------------------------------------------------


def test_markdown_is_rendered_and_sanitised():
    article = KbArticleFactory(
        body="# T\n\n" + EVIL + "\n\n[x](javascript:alert(1)) [ok](https://example.com)\n\n"
        "<a href='https://e.com' onclick='x()'>raw</a>",
    )
    html = article.body_html
    assert elements(html) == [
        ("h1", {}),
        ("p", {}),
        ("p", {}),
        ("a", {"href": "https://example.com", "rel": "noopener noreferrer nofollow"}),
        ("p", {}),
    ]
    assert "&lt;script&gt;" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html
    assert article.body_text.startswith("T\n\nRefund now <script>")


def test_public_page_shows_published_articles_only(client, articles):
    page = client.get(reverse("kb-article-public", args=[articles["zh"].pk]))
    assert page.status_code == 200
    assert "<strong>退款</strong>" in page.content.decode()
    for key in ("internal", "draft"):
        assert client.get(reverse("kb-article-public", args=[articles[key].pk])).status_code == 404


def test_public_page_of_an_evil_article_is_inert(client):
    article = KbArticleFactory(title="<script>x</script>", body=EVIL)
    content = client.get(reverse("kb-article-public", args=[article.pk])).content.decode()
    tags = elements(content)
    assert not [tag for tag, attrs in tags if tag == "script" or tag == "img"]
    assert not [attrs for tag, attrs in tags if any(name.startswith("on") for name in attrs)]
    assert "&lt;script&gt;x&lt;/script&gt;" in content


# ---- the model's rules and the admin --------------------------------------------------------


def test_a_translation_is_of_an_original_in_another_language(articles):
    from django.core.exceptions import ValidationError

    same = KbArticle(title="x", body="y", language="zh-hans", translation_of=articles["zh"])
    with pytest.raises(ValidationError):
        same.full_clean()
    chained = KbArticle(title="x", body="y", language="zh-hans", translation_of=articles["en"])
    with pytest.raises(ValidationError):
        chained.full_clean()


def test_the_admin_previews_the_rendered_article(supervisor_client, articles):
    url = reverse("admin:desk_kbarticle_change", args=[articles["zh"].pk])
    content = supervisor_client.get(url).content.decode()
    preview = reverse("admin:desk_kbarticle_preview")
    assert (
        f'<div class="kb-article-body" data-kb-preview="{preview}"><p>签收后 7 天内可以申请'
        "<strong>退款</strong>" in content
    )
    assert 'src="/static/desk/kb_preview.js" type="module"' in content


def test_the_admin_preview_renders_markdown_as_typed(supervisor_client, client, agent):
    url = reverse("admin:desk_kbarticle_preview")
    answer = supervisor_client.post(url, {"body": "**hi** " + EVIL})
    assert answer.status_code == 200
    html = answer.json()["html"]
    assert html.startswith("<p><strong>hi</strong> Refund now &lt;script&gt;")
    assert [tag for tag, _ in elements(html)] == ["p", "strong"]
    assert supervisor_client.get(url).status_code == 405
    assert supervisor_client.post(url, {"body": "x" * 100_001}).status_code == 400
    client.force_login(agent.user)  # an agent is not staff: the admin sends them to sign in
    assert client.post(url, {"body": "x"}).status_code == 302


def test_the_admin_saves_and_indexes_an_article(supervisor_client, supervisor, articles):
    data = {
        "title": "电池续航说明", "category": articles["zh"].category_id, "language": "zh-hans",
        "status": "published", "translation_of": "", "body": "充满电可以使用 **8 小时**。",
        "tags": "电池", "keywords": "",
    }  # fmt: skip
    response = supervisor_client.post(reverse("admin:desk_kbarticle_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article = KbArticle.objects.get(title="电池续航说明")
    assert article.author == supervisor.user
    assert article.body_html == "<p>充满电可以使用 <strong>8 小时</strong>。</p>\n"
    found = supervisor_client.get(SEARCH, {"q": "续航"}).json()["results"]
    assert [row["title"] for row in found] == ["电池续航说明"]
