"""The widget's Help in real Chromium against a real daphne: before any chat, a customer opens
Help, searches 退款, opens 如何申请退款 (the view is recorded), says it helped and goes back to the
chat; an article written to attack the widget (a <script>, an <img onerror>, a javascript: link)
shows as text and runs nothing; internal-only articles are never offered."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from desk.demo import demo_widget_site
from desk.models import ArticleView
from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.factories import KbArticleFactory, KbCategoryFactory
from desk.tests.test_browser_inbox import in_thread

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "widget-help.png"
REFUND_BODY = "签收后 7 天内可以申请**退款**：\n\n1. 打开“我的订单”。\n2. 点击“申请退款”。"
EVIL_TITLE = '退款陷阱 <img src=x onerror="window.__xss=1">'
EVIL_BODY = (
    '退款 <script>window.__xss=2</script> <img src=x onerror="window.__xss=3">\n\n'
    "[点我](javascript:window.__xss=4) <b onmouseover=window.__xss=5>退款</b>"
)


def views():
    return list(ArticleView.objects.values_list("article__title", "before_conversation", "helpful"))


def test_customer_finds_reads_and_rates_an_article_and_hostile_html_stays_inert(daphne_pushes):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site()
    after_sales = KbCategoryFactory(name="售后服务 After-sales")
    KbArticleFactory(
        category=after_sales, title="如何申请退款", body=REFUND_BODY, language="zh-hans"
    )
    KbArticleFactory(category=after_sales, title="退款审批（内部）", body="退款", status="internal")
    KbArticleFactory(category=after_sales, title=EVIL_TITLE, body=EVIL_BODY, language="zh-hans")
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors, locale="zh-CN"), errors)
        page.goto(f"{base_url}/demo/")
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")

        frame.locator(".help-btn").click()
        expect(frame.locator(".composer")).to_be_hidden()
        frame.locator(".help-search input").fill("退款")
        hits = frame.locator(".help-hit")
        expect(hits.first.locator("strong")).to_have_text("如何申请退款")
        expect(hits.first.locator(".help-snippet mark").first).to_have_text("退款")
        expect(hits).to_have_count(2)  # not the internal-only article
        evil = frame.locator(".help-hit", has_text="退款陷阱")
        expect(evil.locator("strong")).to_have_text(EVIL_TITLE)  # text, not markup

        hits.first.click()
        article = frame.locator(".help-article")
        expect(article.locator("h2")).to_have_text("如何申请退款")
        expect(article.locator(".help-body strong")).to_have_text("退款")
        expect(article.locator(".help-body ol li")).to_have_count(2)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        assert in_thread(views) == [("如何申请退款", True, None)]

        article.locator(".help-vote [data-helpful=true]").click()
        expect(article.locator(".help-vote [role=status]")).to_be_visible()
        assert in_thread(views) == [("如何申请退款", True, True)]

        # The hostile article: everything it tried is text, nothing ran.
        frame.locator(".help-results-btn").click()
        evil.click()
        expect(article.locator("h2")).to_have_text(EVIL_TITLE)
        body = article.locator(".help-body")
        expect(body).to_contain_text("<script>window.__xss=2</script>")
        assert body.locator("script, img, b, [onmouseover]").count() == 0
        assert body.locator("a[href^='javascript']").count() == 0
        body.locator("text=点我").hover()
        widget = next(f for f in page.frames if "/widget/frame/" in f.url)
        assert widget.evaluate("window.__xss") is None
        assert page.evaluate("window.__xss") is None

        # Back to the chat: the pre-chat form is where it was.
        frame.locator(".help-chat").click()
        expect(frame.locator(".help")).to_be_hidden()
        expect(frame.locator("#prechat-name")).to_be_visible()
        browser.close()

    assert errors == []
    assert len(in_thread(views)) == 2
