"""Launching the system Chromium (Debian package `chromium`) through Playwright."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip when Chromium is missing on a developer machine; fail in CI, where it must exist."""
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM} (install the Debian package `chromium`)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def launch_chromium(playwright):
    require_chromium()
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def watched_context(browser, errors: list[str], *, width=1280, height=860, locale="en-US"):
    """A browser context whose page errors land in `errors` (tests assert it stays empty)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    context.set_default_timeout(10_000)
    context.on("weberror", lambda error: errors.append(str(error.error)))
    return context


def watched_page(context, errors: list[str]):
    """A page whose console errors land in `errors` too."""
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return page


def open_demo_chat(page, base_url: str, *, name: str):
    """The visitor opens the widget on the demo shop and fills the pre-chat form with `name`;
    returns the chat frame."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/demo/")
    page.locator("div[data-unidesk] button").click()
    frame = page.frame_locator("div[data-unidesk] iframe")
    expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
    frame.locator("#prechat-name").fill(name)
    frame.get_by_role("button", name="Start chat").click()
    return frame
