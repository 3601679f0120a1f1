"""SLA in real Chromium against a real daphne: the Tickets view sorted by due time and filtered to
at-risk shows the right rows (and the SLA watch lists them), and a waiting chat shows its
first-response countdown in the inbox and the conversation header, live, until an agent
answers."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from chat.tests.factories import CustomerFactory
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from tickets.services import TicketData, ticket_create
from tickets.tests.factories import SlaPolicyFactory, TicketFactory

pytestmark = pytest.mark.browser


def make_tickets():
    """Around the clock, first response in 60 min, warning at 75% (45 min)."""
    SlaPolicyFactory(name="Any", priority=None, first_response_minutes=60)
    now = timezone.now()
    made = {}
    for name, minutes_ago in (("Late", 70), ("Risky A", 50), ("Risky B", 48), ("Fine", 10)):
        with mock.patch.object(timezone, "now", return_value=now - timedelta(minutes=minutes_ago)):
            made[name] = ticket_create(
                actor=None, requester=CustomerFactory(), data=TicketData(subject=name)
            ).pk
    made["No clock"] = TicketFactory(subject="No clock").pk
    return made


def order(desk):
    return [int(row.get_attribute("data-id")) for row in desk.locator("#tl-rows tr").all()]


def test_tickets_sorted_by_due_time_and_filtered_to_at_risk(daphne_pushes, agent, password):
    require_chromium()
    base_url = daphne_pushes
    server_password(agent.user, password)
    made = in_thread(make_tickets)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900)
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
        desk.locator("#view-tickets").click()
        rows = desk.locator("#tl-rows tr")
        expect(rows).to_have_count(5)

        desk.select_option("#tl-sort", "sla_due_at")
        expect(rows.first).to_have_attribute("data-id", str(made["Late"]))
        names = ["Late", "Risky A", "Risky B", "Fine", "No clock"]
        assert order(desk) == [made[name] for name in names]
        expect(rows.first.locator(".sla")).to_have_attribute("data-state", "breached")

        desk.select_option("#tl-risk", "at_risk")
        expect(rows).to_have_count(2)
        assert order(desk) == [made["Risky A"], made["Risky B"]]
        for index in range(2):
            expect(rows.nth(index)).to_have_attribute("data-risk", "at_risk")
            expect(rows.nth(index).locator(".sla")).to_have_attribute("data-state", "at_risk")

        desk.select_option("#tl-risk", "none")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-id", str(made["No clock"]))

        # The SLA watch lists the breached ticket first, then the ones at risk.
        watch = desk.locator("#sla-watch-tickets li")
        expect(watch).to_have_count(3)
        expect(watch.first).to_have_attribute("data-id", str(made["Late"]))
        browser.close()
    assert errors == []


def make_waiting_chat():
    """A WeChat chat whose customer has just written: the VIP policy gives it 30 minutes."""
    from chat import services as chat_services
    from chat.models import Channel
    from chat.tests.factories import ConversationFactory

    SlaPolicyFactory(name="Chats", priority=None, channel=Channel.WECHAT, first_response_minutes=30)
    chat = ConversationFactory(
        channel=Channel.WECHAT, customer=CustomerFactory(display_name="Li Lei 李雷")
    )
    chat_services.message_create(conversation=chat, sender_type="customer", body="在吗？")
    return chat.pk


def reply(chat_id, user):
    from chat import services as chat_services
    from chat.models import Conversation

    chat_services.message_create(
        conversation=Conversation.objects.get(pk=chat_id),
        sender_type="agent",
        sender_user=user,
        body="来了",
    )


def test_a_waiting_chat_shows_its_countdown_in_the_inbox(daphne_pushes, agent, password):
    require_chromium()
    base_url = daphne_pushes
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900)
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", lambda m: m.type == "error" and errors.append(m.text))

        chat_id = in_thread(make_waiting_chat)  # the clock is set after commit and pushed
        countdown = desk.locator(f".conv-row[data-id='{chat_id}'] .sla")
        expect(countdown).to_have_attribute("data-state", "ok")
        expect(countdown).to_have_text(re.compile(r"^(29|30)m left$"))

        desk.locator(f".conv-row[data-id='{chat_id}']").click()
        expect(desk.locator("#conv-sla .sla")).to_have_attribute("data-state", "ok")

        desk.reload()  # from the list API, in business time (around the clock here)
        expect(countdown).to_have_attribute("data-state", "ok")
        expect(countdown).to_have_text(re.compile(r"^(29|30)m left$"))

        # An agent's reply stops the clock: the countdown goes, live.
        in_thread(lambda: reply(chat_id, agent.user))
        expect(desk.locator(f".conv-row[data-id='{chat_id}'] .conv-preview")).to_contain_text(
            "来了"
        )
        expect(countdown).to_have_count(0)
        expect(desk.locator("#conv-sla")).to_be_hidden()
        browser.close()
    assert errors == []


def make_ticket_off_hours():
    """A calendar open only one hour, two days from now: the ticket's hour of first response
    is all still to come, and the countdown stands still now."""
    from datetime import time

    from tickets.models import BusinessHours, BusinessHoursInterval

    hours = BusinessHours.objects.create(name="Rare", timezone="UTC")
    weekday = (timezone.now().weekday() + 2) % 7
    BusinessHoursInterval.objects.create(
        calendar=hours, weekday=weekday, start=time(9), end=time(10)
    )
    SlaPolicyFactory(name="Rare", priority=None, first_response_minutes=30, business_hours=hours)
    ticket_create(actor=None, requester=CustomerFactory(), data=TicketData(subject="Off hours"))


def test_outside_working_hours_the_countdown_stands_still(daphne_pushes, agent, password):
    require_chromium()
    base_url = daphne_pushes
    server_password(agent.user, password)
    in_thread(make_ticket_off_hours)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900)
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
        desk.locator("#view-tickets").click()
        countdown = desk.locator("#tl-rows tr", has_text="Off hours").locator(".sla")
        # 30 business minutes left (not the two days to the due time), standing still.
        expect(countdown).to_have_text("30m left, off hours")
        expect(countdown).to_have_attribute("data-open", "false")
        expect(countdown).to_have_attribute("data-state", "ok")
        desk.wait_for_timeout(2500)
        expect(countdown).to_have_text("30m left, off hours")
        browser.close()
    assert errors == []
