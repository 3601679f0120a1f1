"""The admin's tag picker in real Chromium reads in one language, Chinese or English."""

import pytest
from playwright.sync_api import expect, sync_playwright

from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.live_server import server_password

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("locale", "says", "foreign"),
    [
        ("zh-CN", "选择标签：选中后点击“选择”箭头按钮。", "Choose"),
        (
            "en-US",
            'Choose tags by selecting them and then select the "Choose" arrow button.',
            "标签",
        ),
    ],
)
def test_the_keyword_trigger_tag_picker_speaks_the_pages_language(
    daphne_server, supervisor, password, locale, says, foreign
):
    require_chromium()
    server_password(supervisor.user, password)
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors, locale=locale), errors)
        # Django's admin pages name no icon, so Chromium asks for /favicon.ico (not ours to test).
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        page.goto(f"{daphne_server}/admin/login/?next=/admin/tickets/keywordtrigger/add/")
        page.fill("#id_username", supervisor.user.username)
        page.fill("#id_password", password)
        page.press("#id_password", "Enter")

        picker = page.locator(".selector").first
        expect(picker).to_contain_text(says)
        assert foreign not in picker.inner_text()
        browser.close()

    assert errors == []
