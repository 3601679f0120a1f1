"""Two agents click "Draft a KB article" on one ticket at the same moment (PostgreSQL, real
concurrent connections): one article is made, and both get it."""

import threading

import pytest
from django.db import connection

from desk.kb.drafts import kb_article_draft_from_ticket
from desk.models import KbArticle
from routing.tests.factories import AgentProfileFactory
from tickets.models import TicketStatus
from tickets.tests.factories import TicketFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

CLICKS = 6


def test_concurrent_clicks_make_one_draft():
    ticket = TicketFactory(
        subject="退款到账时间", status=TicketStatus.RESOLVED, description="多久到账"
    )
    agents = [AgentProfileFactory().user for _ in range(CLICKS)]
    start = threading.Barrier(CLICKS)
    results, errors = [], []

    def click(user):
        try:
            start.wait(timeout=30)
            article, created = kb_article_draft_from_ticket(actor=user, ticket=ticket)
            results.append((article.pk, created))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    [article_id] = KbArticle.objects.values_list("pk", flat=True)
    assert sorted(results, key=lambda r: not r[1]) == [(article_id, True)] + [
        (article_id, False)
    ] * (CLICKS - 1)
