"""Server-rendered pages: workspace, sign-in and out, languages, health, API docs."""

import json
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from routing.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_root_redirects_to_workspace(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/desk/"


def test_workspace_sends_anonymous_users_to_login(client):
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/desk/"


def test_workspace_shows_the_agent_and_three_panes(client, agent):
    agent.display_name = "Lina Wang"
    agent.presence = "busy"
    agent.save()
    client.force_login(agent.user)
    response = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="me-name" id="agent-name">Lina Wang</span>' in html
    assert '<span class="avatar" aria-hidden="true">L</span>' in html
    assert 'class="pane pane-list"' in html
    assert 'class="pane pane-conversation"' in html
    assert 'class="pane pane-side"' in html
    assert 'class="pane pane-tickets"' in html
    assert '<button type="button" class="view-btn" id="view-tickets" aria-pressed="false">' in html
    for text in ("Mine", "Unassigned", "My teams", "No conversations yet", "Select a conversation"):
        assert f">{text}<" in html
    for tab in ("Customer", "Knowledge base", "Ticket"):
        assert f">{tab}</button>" in html
    assert '<option value="busy" selected>Busy</option>' in html
    assert '<form method="post" action="/accounts/logout/" class="logout">' in html
    assert '<script type="module" src="/static/desk/workspace.js"></script>' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_workspace_hands_config_and_strings_to_the_script(agent_client, agent):
    response = agent_client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    config = _json_script(html, "desk-config")
    assert config == {
        "agentId": agent.user_id,
        "socketPath": "/ws/desk/",
        "presenceUrl": "/api/v1/me/presence/",
        "loginUrl": "/accounts/login/",
        "conversationsUrl": "/api/v1/conversations/",
        "isSupervisor": False,
        "teamIds": [],
        "teams": [],
        "agents": [
            {
                "id": agent.user_id,
                "name": agent.display_name,
                "username": agent.user.username,
                "presence": "offline",
                "teams": [],
            }
        ],
        "ticketsUrl": "/api/v1/tickets/",
        "customersUrl": "/api/v1/customers/",
        "ticketViewsUrl": "/api/v1/ticket-views/",
        "slaWatchUrl": "/api/v1/sla/watch/",
        "liveUrl": "/api/v1/routing/live/",
        "notificationsUrl": "/api/v1/notifications/",
        "cannedRepliesUrl": "/api/v1/canned-replies/",
        "kbSearchUrl": "/api/v1/kb/search/",
        "kbSuggestionsUrl": "/api/v1/kb/suggestions/",
        "kbArticlesUrl": "/api/v1/kb/articles/",
        "categories": [],
        "assistDrafts": False,
    }
    strings = _json_script(html, "desk-i18n")
    assert strings["connected"] == "Connected"
    assert set(strings) >= {"connecting", "connected", "reconnecting", "offline"}
    assert strings["channels"]["wechat"] == "WeChat"
    assert strings["statuses"] == {"open": "Open", "waiting": "Waiting", "closed": "Closed"}
    assert strings["isTyping"] == "%(name)s is typing…"
    assert strings["ticketStatuses"]["in_progress"] == "In progress"
    assert strings["priorities"]["1"] == "P1 · High"


def test_logged_in_non_agent_gets_403_page_with_logout(client):
    user = UserFactory(username="shopper")
    client.force_login(user)
    response = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<h1 id="denied-title">No workspace access</h1>' in html
    assert (
        "You are signed in as <strong>shopper</strong>, but this account is not an agent." in html
    )
    assert '<form method="post" action="/accounts/logout/">' in html
    assert "pane-list" not in html


def test_login_page_renders_a_form(client):
    response = client.get("/accounts/login/?next=/desk/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<input type="hidden" name="next" value="/desk/">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'autocomplete="current-password"' in html
    assert "Sign in to the agent workspace" in html


def test_login_with_the_right_password_opens_the_workspace(client, agent, password):
    response = client.post(
        "/accounts/login/",
        {"username": agent.user.username, "password": password, "next": "/desk/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert int(client.session[SESSION_KEY]) == agent.user.pk
    assert client.get("/desk/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error(client, agent):
    response = client.post(
        "/accounts/login/",
        {"username": agent.user.username, "password": "wrong-password"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="alert alert-error" role="alert">' in html
    assert "Please enter a correct username and password." in html
    assert f'value="{agent.user.username}"' in html
    assert SESSION_KEY not in client.session


def test_logout_by_post_ends_the_session(agent_client):
    response = agent_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in agent_client.session
    assert agent_client.get("/desk/").status_code == 302


def test_pages_follow_the_language_cookie(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in english
    assert '<label for="id_username">Username</label>' in english

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in chinese
    # Django's own catalogue translates the form labels; the project's .po comes later.
    assert '<label for="id_username">用户名</label>' in chinese
    assert '<label for="id_password">密码</label>' in chinese


def test_accept_language_picks_english_and_chinese(client):
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="en">' in english.content.decode()
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert '<html lang="zh-hans">' in chinese.content.decode()


def test_language_switcher_sets_the_cookie(client, settings):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<form class="lang-switch" action="/i18n/setlang/" method="post">' in page
    assert '<button type="submit" name="language" value="zh-hans" lang="zh-Hans"' in page
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_demo_shop_has_products_and_the_widget_snippet(client):
    response = client.get("/demo/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Demo shop</title>" in html
    assert html.count('<li class="product">') == 4
    # The one script on the page is the widget's loader, exactly as a merchant would paste it.
    assert html.count("<script") == 1
    assert '<script src="/static/widget/loader.js" data-site="demo" async></script>' in html


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_api_schema_is_an_openapi_document(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Unidesk API"
    assert {"/api/v1/me/", "/api/v1/me/presence/"} <= set(schema["paths"])


def test_api_docs_use_only_local_assets(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert re.findall(r"https?://", html) == []


def _json_script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, f"no json_script #{element_id}"
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_the_third_tab_says_whose_conversations_it_holds(client, agent, supervisor):
    """An agent's "all" is their teams' (我的团队); a supervisor's is every team's (issue 12)."""
    client.force_login(agent.user)
    html = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    tab = re.compile(r'data-filter="all" title="([^"]+)">([^<]+)</button>')
    assert tab.search(html).groups() == (
        "Conversations of your teams, of no team, and yours",
        "My teams",
    )
    client.force_login(supervisor.user)
    html = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert tab.search(html).groups() == ("Conversations of every team", "All teams")
