"""The Knowledge base tab in real Chromium against a real daphne: the customer wrote "耳机没声音",
the panel suggests 耳机没有声音怎么办, one click puts its answer into the reply box, a new
customer message changes the suggestions, and an article written to attack the page (a
<script>, an <img onerror>) shows as text in the results and the article view and runs nothing."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat import services
from chat.models import Message, SenderType
from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.factories import KbArticleFactory, KbCategoryFactory
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "knowledge-base.png"
EARPHONES_BODY = "耳机没有声音时：\n\n1. 确认耳机已充电。\n2. 在蓝牙设置中重新配对。"
EARPHONES_ANSWER = "耳机没有声音时：\n\n1. 确认耳机已充电。\n2. 在蓝牙设置中重新配对。"
EVIL_TITLE = '耳机保修 <img src=x onerror="window.__xss=1">'
EVIL_BODY = '耳机 <script>window.__xss=2</script> <img src=x onerror="window.__xss=3"> 保修一年'


def customer_conversation():
    customer = services.customer_create(data=services.CustomerData(display_name="王小明"))
    conversation = services.conversation_start(customer=customer, channel="web")
    services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="耳机没声音"
    )
    return conversation


def customer_writes(conversation_id, body):
    conversation = services.Conversation.objects.get(pk=conversation_id)
    services.message_create(conversation=conversation, sender_type=SenderType.CUSTOMER, body=body)


def agent_messages():
    return list(Message.objects.filter(sender_type="agent").values_list("body", flat=True))


def test_suggestions_insert_an_answer_and_a_hostile_article_stays_text(
    daphne_pushes, agent, password
):
    require_chromium()
    base_url = daphne_pushes
    server_password(agent.user, password)
    products = KbCategoryFactory(name="产品使用 Products")
    KbArticleFactory(
        category=products, title="耳机没有声音怎么办", body=EARPHONES_BODY, language="zh-hans"
    )
    KbArticleFactory(category=products, title="如何开具发票", body="下单时填写发票抬头和税号。")
    KbArticleFactory(category=products, title="退款审批（内部）", body="退款", status="internal")
    KbArticleFactory(category=products, title=EVIL_TITLE, body=EVIL_BODY, language="zh-hans")
    conversation = in_thread(customer_conversation)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        page = sign_in(context, base_url, agent.user, password)
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(f"{base_url}/desk/#c={conversation.pk}")
        expect(page.locator("#conv-name")).to_have_text("王小明")
        page.locator("#tab-kb").click()

        # The customer's words suggest the article; one click inserts its answer for review.
        suggestions = page.locator("#kb-suggestion-list .kb-hit")
        expect(suggestions.first.locator(".kb-hit-title")).to_have_text("耳机没有声音怎么办")
        expect(suggestions.first.locator(".kb-snippet mark").first).to_have_text("耳机")
        expect(suggestions.first.locator(".kb-meta")).to_contain_text("产品使用 Products")
        suggestions.first.locator(".kb-insert-answer").click()
        expect(page.locator("#composer-input")).to_have_value(EARPHONES_ANSWER)
        expect(page.locator("#composer-input")).to_be_focused()
        assert in_thread(agent_messages) == []  # inserted, not sent

        # The hostile article is among the suggestions: its markup is text, nothing ran.
        evil = page.locator("#kb-suggestion-list .kb-hit", has_text="耳机保修")
        expect(evil.locator(".kb-hit-title")).to_have_text(EVIL_TITLE)
        expect(evil.locator(".kb-snippet")).to_contain_text("<script>window.__xss=2</script>")
        assert page.locator("#panel-kb img, #panel-kb script").count() == 0

        # The customer writes again: the suggestions follow.
        in_thread(customer_writes, conversation.pk, "怎么开发票")
        expect(suggestions.first.locator(".kb-hit-title")).to_have_text("如何开具发票")

        # Search: results with snippets; the article view shows the hostile body as text.
        page.locator("#kb-q").fill("耳机 保修")
        results = page.locator("#kb-result-list .kb-hit")
        expect(results.first.locator(".kb-hit-title")).to_have_text(EVIL_TITLE)
        results.first.locator(".kb-hit-title").click()
        expect(page.locator("#kb-article-title")).to_have_text(EVIL_TITLE)
        expect(page.locator("#kb-article-body")).to_contain_text('onerror="window.__xss=3"')
        assert page.locator("#kb-article-body img, #kb-article-body script").count() == 0
        page.locator("#kb-back").click()
        expect(results.first).to_be_visible()

        # Internal-only articles are found by agents, marked as such.
        page.locator("#kb-q").fill("退款")
        expect(results.first.locator(".kb-badge")).to_have_text("Internal only")
        expect(results.first.locator(".kb-insert-link")).to_have_count(0)

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        assert page.evaluate("typeof window.__xss") == "undefined"
        browser.close()
    assert errors == []


def test_the_admin_preview_follows_the_markdown_and_runs_nothing(
    daphne_server, supervisor, password
):
    require_chromium()
    server_password(supervisor.user, password)
    KbCategoryFactory(name="产品使用 Products")
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors), errors)
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        page.goto(f"{daphne_server}/admin/login/?next=/admin/desk/kbarticle/add/")
        page.fill("#id_username", supervisor.user.username)
        page.fill("#id_password", password)
        page.press("#id_password", "Enter")

        page.locator("#id_body").fill("# 耳机\n\n**没有**声音？\n\n" + EVIL_BODY)
        preview = page.locator("[data-kb-preview]")
        expect(preview.locator("h1")).to_have_text("耳机")
        expect(preview.locator("strong")).to_have_text("没有")
        expect(preview).to_contain_text('<img src=x onerror="window.__xss=3">')
        assert preview.locator("img, script").count() == 0
        assert page.evaluate("typeof window.__xss") == "undefined"
        browser.close()
    assert errors == []
