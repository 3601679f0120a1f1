"""The signed-in agent's API: /api/v1/me/ and /api/v1/me/presence/."""

import pytest
from django.test import Client

from routing.models import AgentProfile, PresenceLog
from routing.tests.factories import AgentProfileFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_me_returns_the_agent(client):
    profile = AgentProfileFactory(
        user__username="lina", display_name="Lina Wang", teams=[TeamFactory(name="Billing")]
    )
    client.force_login(profile.user)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "id": profile.user_id,
        "username": "lina",
        "display_name": "Lina Wang",
        "avatar_url": "",
        "presence": "offline",
        "presence_changed_at": None,
        "max_concurrent_chats": 5,
        "teams": ["Billing"],
    }


def test_put_presence_saves_it_and_logs_the_change(agent_client, agent):
    response = agent_client.put(
        "/api/v1/me/presence/", {"presence": "busy"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["presence"] == "busy"
    agent.refresh_from_db()
    assert agent.presence == "busy"
    assert body["presence_changed_at"] is not None
    log = PresenceLog.objects.get(agent=agent)
    assert (log.old_value, log.new_value, log.actor_id) == ("offline", "busy", agent.user_id)


@pytest.mark.parametrize("payload", [{"presence": "sleeping"}, {}, {"presence": None}])
def test_put_invalid_presence_is_rejected_and_changes_nothing(agent_client, agent, payload):
    response = agent_client.put(
        "/api/v1/me/presence/", payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "The request has invalid fields."
    assert list(error["fields"]) == ["presence"]
    agent.refresh_from_db()
    assert agent.presence == "offline"
    assert agent.presence_changed_at is None
    assert not PresenceLog.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"), [("get", "/api/v1/me/"), ("put", "/api/v1/me/presence/")]
)
def test_anonymous_gets_a_json_error(client, method, url):
    response = getattr(client, method)(
        url, {"presence": "online"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


@pytest.mark.parametrize(
    ("method", "url"), [("get", "/api/v1/me/"), ("put", "/api/v1/me/presence/")]
)
def test_non_agent_is_forbidden(client, method, url):
    client.force_login(UserFactory())
    response = getattr(client, method)(
        url, {"presence": "online"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "Only agents have a workspace profile.",
        }
    }
    assert not AgentProfile.objects.exists()


def test_put_presence_needs_the_csrf_token_in_a_browser_session(agent, password):
    browser = Client(enforce_csrf_checks=True)
    browser.login(username=agent.user.username, password=password)
    response = browser.put(
        "/api/v1/me/presence/",
        {"presence": "online"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in response.json()["error"]["message"]
    agent.refresh_from_db()
    assert agent.presence == "offline"


def test_errors_follow_the_language(agent_client):
    response = agent_client.put(
        "/api/v1/me/presence/", {"presence": "x"}, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "请求中有字段无效。"
