"""Offer mode under concurrency, on PostgreSQL with real connections: the agent accepts offers
while the sweep expires them at the same moment, and for every conversation exactly one of the
two happens; the agent's load matches the conversations they hold (nothing leaked)."""

import contextlib
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chat.assignment import offers
from chat.models import Conversation, OfferDecline
from chat.tests.test_assignment import new_chat, online
from desk.kernel import realtime
from routing.models import AgentProfile
from routing.tests.factories import TeamFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

OFFERS = 20


def test_accept_and_expiry_racing_never_both_happen(monkeypatch):
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: None)
    team = TeamFactory(name="Sales", offer_seconds=30)
    carol = online(team, "carol", max_concurrent_chats=OFFERS)
    ids = [new_chat(team).pk for _ in range(OFFERS)]
    assert AgentProfile.objects.get(pk=carol.pk).active_chats == OFFERS
    due = timezone.now() + timedelta(milliseconds=800)
    Conversation.objects.filter(pk__in=ids).update(offer_expires_at=due)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def accept_all():
        for pk in ids:
            with contextlib.suppress(offers.OfferExpired):  # the sweep was first: fine
                offers.offer_accept(actor=carol.user, conversation=Conversation(pk=pk))
            time.sleep(0.08)

    def sweep():
        stop = time.monotonic() + 2.5
        while time.monotonic() < stop:
            offers.offers_expire()
            time.sleep(0.005)

    def run(work):
        try:
            start.wait(timeout=30)
            work()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in (accept_all, sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    offers.offers_expire()
    held = set(Conversation.objects.filter(assignee=carol.user).values_list("pk", flat=True))
    passed = set(
        OfferDecline.objects.filter(user=carol.user).values_list("conversation_id", flat=True)
    )
    assert held | passed == set(ids)
    assert held & passed == set()
    assert held and passed  # the race really happened both ways
    assert not Conversation.objects.exclude(offered_to=None).exists()
    assert AgentProfile.objects.get(pk=carol.pk).active_chats == len(held)
