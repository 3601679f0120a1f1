"""The bell's API: each agent lists and marks only their own notifications; bad input changes
nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from desk.models import Notification
from desk.tests.factories import NotificationFactory
from routing.tests.factories import AgentProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
READ = "/api/v1/notifications/read/"


def unread_ids() -> list[int]:
    return sorted(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True))


def test_list_is_mine_newest_first_with_the_unread_count(agent_client, agent):
    older = NotificationFactory(recipient=agent.user, kind="ticket_assigned")
    newer = NotificationFactory(recipient=agent.user, excerpt="@me look")
    NotificationFactory()  # someone else's

    body = agent_client.get(LIST).json()

    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["unread"] == 2
    assert body["next_cursor"] is None
    first = body["results"][0]
    assert first == {
        "id": newer.pk,
        "kind": "mention",
        "ticket": {
            "id": newer.ticket.pk,
            "number": newer.ticket.number,
            "subject": newer.ticket.subject,
            "source": "manual",
        },
        "conversation_id": None,
        "actor": {"id": None, "name": "Carol"},
        "excerpt": "@me look",
        "created_at": first["created_at"],
        "read_at": None,
    }


def test_list_pages_with_a_cursor_and_filters_unread(agent_client, agent):
    made = [NotificationFactory(recipient=agent.user) for _ in range(5)]
    Notification.objects.filter(pk=made[0].pk).update(read_at=made[0].created_at)

    first = agent_client.get(LIST, {"limit": 3}).json()
    second = agent_client.get(LIST, {"limit": 3, "cursor": first["next_cursor"]}).json()
    unread = agent_client.get(LIST, {"unread": "true"}).json()

    newest_first = [n.pk for n in reversed(made)]
    assert [row["id"] for row in first["results"] + second["results"]] == newest_first
    assert second["next_cursor"] is None
    assert [row["id"] for row in unread["results"]] == newest_first[:4]
    assert unread["unread"] == 4


def test_list_queries_do_not_grow_with_rows(agent_client, agent):
    NotificationFactory(recipient=agent.user)
    with CaptureQueriesContext(connection) as few:
        agent_client.get(LIST)
    for _ in range(5):
        NotificationFactory(recipient=agent.user)
    with CaptureQueriesContext(connection) as more:
        agent_client.get(LIST)
    assert len(more) == len(few)


def test_mark_some_read_leaves_other_agents_rows_alone(agent_client, agent):
    mine = NotificationFactory(recipient=agent.user)
    also_mine = NotificationFactory(recipient=agent.user)
    theirs = NotificationFactory()

    response = agent_client.post(
        READ, {"ids": [mine.pk, theirs.pk]}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    assert unread_ids() == sorted([also_mine.pk, theirs.pk])


def test_mark_all_read(agent_client, agent):
    NotificationFactory(recipient=agent.user)
    NotificationFactory(recipient=agent.user)
    theirs = NotificationFactory()

    response = agent_client.post(READ, {"all": True}, content_type="application/json")

    assert response.json() == {"marked": 2, "unread": 0}
    assert unread_ids() == [theirs.pk]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"all": False},
        {"ids": []},
        {"ids": "1"},
        {"ids": [0]},
        {"ids": ["x"]},
        {"ids": [True]},
        {"ids": None},
        {"ids": list(range(1, 102))},
        {"ids": [1], "all": True},
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(agent_client, agent, body):
    mine = NotificationFactory(recipient=agent.user)

    response = agent_client.post(READ, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert unread_ids() == [mine.pk]


def test_a_bad_cursor_is_a_400(agent_client):
    response = agent_client.get(LIST, {"cursor": "nonsense"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_only_agents_may_use_it(client):
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 403
    assert client.post(READ, {"all": True}, content_type="application/json").status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 403


def test_workspace_has_the_bell_and_the_api_address(agent_client):
    AgentProfileFactory()
    html = agent_client.get("/desk/").content.decode()
    assert 'id="bell"' in html
    assert '"notificationsUrl": "/api/v1/notifications/"' in html
