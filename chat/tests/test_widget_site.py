"""Widget sites: validation, the admin (snippet, secret rotation), the frame page's headers."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from chat.models import WidgetSite
from chat.tests.factories import WidgetSiteFactory
from chat.widget.sessions import user_hash
from chat.widget.views import WIDGET_STRINGS

pytestmark = pytest.mark.django_db


def test_a_new_site_gets_a_long_random_secret():
    first, second = WidgetSiteFactory(), WidgetSiteFactory()

    assert len(first.secret) == 64
    assert first.secret != second.secret


@pytest.mark.parametrize(
    "origins",
    [
        "shop.example.com",
        "https://shop.example.com/path",
        "https://a.com; script-src *",
        "ftp://x.y",
    ],
)
def test_allowed_origins_must_be_origins(origins):
    site = WidgetSiteFactory.build(key="x", allowed_origins=origins)

    with pytest.raises(ValidationError) as error:
        site.full_clean()

    assert "allowed_origins" in error.value.message_dict


def test_good_origins_and_a_topic_list_are_accepted():
    site = WidgetSiteFactory.build(
        key="x",
        allowed_origins="https://shop.example.com\nhttp://localhost:8000\nhttps://*.example.cn",
        prechat_topic="required",
        prechat_topics="Orders\n\n Returns ",
    )

    site.full_clean()

    assert site.origin_list() == [
        "https://shop.example.com",
        "http://localhost:8000",
        "https://*.example.cn",
    ]
    assert site.topic_list() == ["Orders", "Returns"]


def test_asking_for_a_topic_needs_topics():
    site = WidgetSiteFactory.build(key="x", prechat_topic="optional", prechat_topics="  \n")

    with pytest.raises(ValidationError) as error:
        site.full_clean()

    assert "prechat_topics" in error.value.message_dict


def test_admin_shows_the_secret_and_the_snippet_read_only(supervisor_client):
    site = WidgetSiteFactory(key="acme")

    html = supervisor_client.get(
        reverse("admin:chat_widgetsite_change", args=[site.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert site.secret in html
    assert 'name="secret"' not in html
    assert (
        "&lt;script src=&quot;/static/widget/loader.js&quot; data-site=&quot;acme&quot; "
        "async&gt;&lt;/script&gt;" in html
    )


def test_supervisor_rotates_the_secret_and_old_hashes_stop_working(supervisor_client, client):
    site = WidgetSiteFactory(key="acme")
    old_hash = user_hash(site, "42")

    response = supervisor_client.post(
        reverse("admin:chat_widgetsite_changelist"),
        {"action": "rotate_secret", "_selected_action": [site.pk]},
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert user_hash(site, "42") != old_hash
    refused = client.post(
        "/api/widget/v1/sessions/",
        {"site": "acme", "user": {"id": "42"}, "user_hash": old_hash},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_frame_page_may_be_framed_only_where_the_site_allows(client):
    WidgetSiteFactory(key="unlisted")
    WidgetSiteFactory(key="strict", allowed_origins="https://shop.example.com")

    unlisted = client.get("/widget/frame/?site=unlisted")
    strict = client.get("/widget/frame/?site=strict")

    assert unlisted.status_code == strict.status_code == 200
    assert "X-Frame-Options" not in unlisted
    # A site that lists no origin is embedded by no other site: only our own pages (the demo).
    assert unlisted["Content-Security-Policy"].endswith("; frame-ancestors 'self'")
    policy = strict["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example.com" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("query", ["", "?site=nope", "?site=off"])
def test_frame_page_of_an_unknown_or_inactive_site_is_404(client, query):
    WidgetSiteFactory(key="off", is_active=False)

    assert client.get(f"/widget/frame/{query}").status_code == 404


def test_frame_page_carries_config_and_strings_in_both_languages(client):
    WidgetSiteFactory(key="acme", name="Acme", theme_color="#112233")

    html = client.get("/widget/frame/?site=acme").content.decode()

    assert '<link rel="stylesheet" href="/static/widget/widget.css">' in html
    assert '<script type="module" src="/static/widget/widget.js"></script>' in html
    assert '"theme_color": "#112233"' in html
    assert '"sessionUrl": "/api/widget/v1/sessions/"' in html
    assert '"messagesUrl": "/api/widget/v1/conversations/{id}/messages/"' in html
    assert "secret" not in html
    from chat.widget.views import widget_strings

    strings = widget_strings()
    assert set(strings) == {"zh-hans", "en"}
    assert set(strings["en"]) == set(strings["zh-hans"]) == set(WIDGET_STRINGS)
    assert strings["en"]["title"] == "Chat with us"
    assert strings["zh-hans"]["title"] == "在线客服"
    untranslated = [k for k in WIDGET_STRINGS if strings["zh-hans"][k] == strings["en"][k]]
    assert untranslated == []


def test_the_demo_site_exists_after_loading_the_demo():
    from desk.demo import demo_load

    demo_load()

    site = WidgetSite.objects.get(key="demo")
    assert site.team.name == "售前 Sales"
    assert site.prechat_enabled
    assert site.prechat_modes() == {"name": "required", "email": "optional", "topic": "optional"}
