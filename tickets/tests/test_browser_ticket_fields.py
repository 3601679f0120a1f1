"""The ticket panel's header editor and merge dialog in real Chromium against a real daphne: the
agent changes the assignee, adds a tag, sets a custom field, renames the subject and merges the
ticket into another one by its number; every change shows on the timeline."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory
from tickets.models import Ticket, TicketStatus
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "ticket-fields.png"
SOURCE, TARGET = "T-20261129-0101", "T-20261129-0102"


def make_tickets():
    colleague = AgentProfileFactory(display_name="Li Lei")
    source = TicketFactory(number=SOURCE, subject="Parcel broken", status=TicketStatus.OPEN)
    target = TicketFactory(number=TARGET, subject="Parcel lost", status=TicketStatus.OPEN)
    return colleague.user_id, colleague.user.username, source.pk, target.pk


def stored(pk):
    ticket = Ticket.objects.get(pk=pk)
    return (
        ticket.subject,
        ticket.assignee_id,
        sorted(ticket.tags.values_list("name", flat=True)),
        ticket.custom_fields,
        ticket.status,
        ticket.merged_into_id,
    )


def test_agent_edits_the_ticket_header_and_merges_it(daphne_server, agent, password):
    require_chromium()
    base_url = daphne_server
    server_password(agent.user, password)
    colleague_id, colleague_name, source_id, target_id = in_thread(make_tickets)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=1000)
        desk = sign_in(context, base_url, agent.user, password)
        # The browser notes the 400 the test provokes on purpose; other errors count.
        desk.on(
            "console", lambda m: m.type == "error" and "400" not in m.text and errors.append(m.text)
        )
        desk.locator("#view-tickets").click()
        desk.locator(f"#tl-rows tr[data-id='{source_id}'] .tl-subject").click()
        panel = desk.locator("#ticket-panel")
        expect(panel).to_be_visible()
        expect(desk.locator("#ticket-number")).to_have_text(SOURCE)
        timeline = desk.locator("#ticket-timeline .ticket-event")

        # Assignee: a colleague from the directory.
        desk.select_option("#ticket-assignee", str(colleague_id))
        expect(timeline.last).to_contain_text(f"assigned the ticket to {colleague_name}")
        expect(desk.locator("#ticket-assignee")).to_have_value(str(colleague_id))

        # A tag, added on Enter, shows as a chip and on the timeline.
        desk.fill("#ticket-tag-input", " broken 破损 ")
        desk.press("#ticket-tag-input", "Enter")
        expect(desk.locator(".tag-chip[data-tag='broken 破损']")).to_be_visible()
        expect(desk.locator("#ticket-tag-input")).to_have_value("")
        expect(timeline.last).to_contain_text("added the tag broken 破损")

        # A custom field through "Add field".
        desk.locator("#ticket-field-add").click()
        desk.fill("#ticket-field-key", "order")
        desk.fill("#ticket-field-value", "42")
        desk.press("#ticket-field-value", "Enter")
        value = desk.locator(".custom-field[data-key='order'] .custom-field-value")
        expect(value).to_have_text("42")
        expect(timeline.last).to_contain_text("set order to 42")
        expect(desk.locator("#ticket-field-form")).to_be_hidden()

        # The subject: Esc cancels, Enter saves; an empty one is refused and reverts.
        desk.locator("#ticket-subject-edit").click()
        desk.fill("#ticket-subject-input", "Not this")
        desk.press("#ticket-subject-input", "Escape")
        expect(desk.locator("#ticket-subject")).to_have_text("Parcel broken")
        desk.locator("#ticket-subject-edit").click()
        desk.fill("#ticket-subject-input", "   ")
        desk.press("#ticket-subject-input", "Enter")
        expect(desk.locator("#ticket-error")).to_contain_text("may not be blank")
        expect(desk.locator("#ticket-subject")).to_have_text("Parcel broken")
        desk.fill("#ticket-subject-input", "Parcel broken in transit")
        desk.press("#ticket-subject-input", "Enter")
        expect(desk.locator("#ticket-subject")).to_have_text("Parcel broken in transit")
        expect(desk.locator("#ticket-subject-input")).to_be_hidden()
        expect(timeline.last).to_contain_text(
            "changed the subject from “Parcel broken” to “Parcel broken in transit”"
        )

        # Merge into the other ticket by typing its number.
        desk.locator("#ticket-merge-open").click()
        dialog = desk.locator("#relation-dialog")
        expect(dialog).to_be_visible()
        desk.fill("#relation-query", TARGET)
        expect(desk.locator("#relation-choice")).to_contain_text(TARGET)
        desk.locator("#relation-confirm").click()
        expect(dialog).to_be_hidden()
        merged = desk.locator("#ticket-merged")
        expect(merged).to_be_visible()
        expect(desk.locator("#ticket-merged-link")).to_have_text(TARGET)
        expect(desk.locator("#ticket-status")).to_have_value("closed")
        expect(timeline.last).to_contain_text(f"merged this ticket into {TARGET}")

        # The link opens the target, whose timeline holds the source's events too.
        desk.locator("#ticket-merged-link").click()
        expect(desk.locator("#ticket-number")).to_have_text(TARGET)
        expect(merged).to_be_hidden()
        expect(timeline.filter(has_text=f"merged {SOURCE} into this ticket")).to_have_count(1)
        expect(timeline.filter(has_text="added the tag broken 破损")).to_have_count(1)

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SCREENSHOT))
        browser.close()

    assert in_thread(stored, source_id) == (
        "Parcel broken in transit",
        colleague_id,
        ["broken 破损"],
        {"order": "42"},
        "closed",
        target_id,
    )
    assert errors == []
