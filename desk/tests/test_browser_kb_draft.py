"""The ticket panel's "Draft a KB article" in real Chromium against a real daphne: shown for a
resolved ticket only; one click writes the draft and links its admin page, a second click finds
the same draft."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from desk.models import KbArticle
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from tickets.models import TicketStatus
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.browser


def make_tickets():
    done = TicketFactory(
        subject="如何申请退款",
        description="签收后想退款，怎么操作？",
        status=TicketStatus.RESOLVED,
    )
    open_ = TicketFactory(subject="还在处理", status=TicketStatus.OPEN)
    return done.pk, open_.pk


def drafts():
    return list(KbArticle.objects.values_list("pk", "title", "status", "source_ticket_id"))


def test_agent_drafts_an_article_from_a_resolved_ticket(daphne_processes, agent, password):
    require_chromium()
    # A server of its own: the draft writes an admin history row, whose content type id a
    # session-long server would remember from before an earlier test's flush made them anew.
    base_url = daphne_processes().url
    server_password(agent.user, password)
    done_id, open_id = in_thread(make_tickets)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=1000)
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
        desk.locator("#view-tickets").click()

        desk.locator(f"#tl-rows tr[data-id='{open_id}'] .tl-subject").click()
        expect(desk.locator("#ticket-panel")).to_have_attribute("data-ticket-id", str(open_id))
        expect(desk.locator("#ticket-kb-draft-row")).to_be_hidden()

        desk.locator(f"#tl-rows tr[data-id='{done_id}'] .tl-subject").click()
        expect(desk.locator("#ticket-panel")).to_have_attribute("data-ticket-id", str(done_id))
        expect(desk.locator("#ticket-kb-draft-row")).to_be_visible()
        desk.locator("#ticket-kb-draft").click()
        link = desk.locator("#ticket-kb-draft-link")
        # the server's first article segments its text: the segmenter's dictionary loads then
        expect(link).to_be_visible(timeout=15_000)
        [(pk, title, status, ticket_id)] = in_thread(drafts)
        assert (title, status, ticket_id) == ("如何申请退款", "draft", done_id)
        expect(link).to_have_attribute("href", reverse("admin:desk_kbarticle_change", args=[pk]))

        desk.locator("#ticket-kb-draft").click()
        expect(desk.locator("#ticket-kb-draft")).to_be_enabled()
        assert [row[0] for row in in_thread(drafts)] == [pk]
        browser.close()

    assert errors == []
