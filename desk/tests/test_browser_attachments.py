"""Uploads in the workspace composer, in real Chromium against a real daphne: removing a chip
deletes the upload on the server, a sent image shows, and shows again after a reload (its link is
handed out afresh with the history)."""

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.models import Attachment, Message
from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, new_customer_conversation, sign_in
from desk.tests.test_browser_widget import tiny_png

pytestmark = pytest.mark.browser


def png(name):
    return {"name": name, "mimeType": "image/png", "buffer": tiny_png()}


def loaded(page, image):
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 2", arg=image.element_handle()
    )


def test_removing_a_chip_deletes_the_upload_and_a_sent_image_survives_a_reload(
    daphne_pushes, agent, password
):
    require_chromium()
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors)
        watched_page(context, errors).close()
        page = sign_in(context, daphne_pushes, agent.user, password)
        conversation = in_thread(new_customer_conversation)
        page.goto(f"{daphne_pushes}/desk/#c={conversation.pk}")
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("#messages .msg")).to_have_count(1)

        page.set_input_files("#composer-file", [png("keep.png"), png("drop.png")])
        chips = page.locator("#composer-files .file-chip")
        expect(chips).to_have_count(2)
        expect(page.locator("#composer-files .is-uploading")).to_have_count(0)
        assert in_thread(lambda: Attachment.objects.count()) == 2
        chips.filter(has_text="drop.png").locator(".file-chip-remove").click()
        expect(chips).to_have_count(1)
        names = None
        for _ in range(50):  # the DELETE is on its way
            names = in_thread(
                lambda: list(Attachment.objects.values_list("original_name", flat=True))
            )
            if names == ["keep.png"]:
                break
            page.wait_for_timeout(100)
        assert names == ["keep.png"]

        page.press("#composer-input", "Enter")
        image = page.locator("#messages .msg-out img")
        expect(image).to_be_visible()
        loaded(page, image)

        page.reload()
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        image = page.locator("#messages .msg-out img")
        expect(image).to_have_count(1)
        loaded(page, image)
        browser.close()

    assert errors == []
    sent = in_thread(lambda: list(Message.objects.filter(sender_type="agent")))
    assert [m.content_type for m in sent] == ["image"]
    assert in_thread(lambda: list(Attachment.objects.values_list("message_id", flat=True))) == [
        sent[0].pk
    ]
