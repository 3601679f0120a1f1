"""Widget rate limits (desk/kernel/ratelimit.py): new visitors and new conversations per IP and per
site,
uploads per visitor. Refused requests are 429 `rate_limited` with `Retry-After` and create nothing.

Each test gets rate-limit keys of its own (conftest `_own_rate_limits`); limits are made small here.
"""

import pytest

from chat.models import Attachment, Conversation, Customer
from chat.tests.factories import WidgetSiteFactory
from chat.tests.test_widget_api import EN, SESSIONS, upload
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", name="Shop", team=TeamFactory(name="Sales"))


@pytest.fixture
def limits(settings):
    """`limits(name=(count, seconds), ...)` sets those limits for this test."""

    def set_limits(**given):
        given = {name.replace("__", "."): value for name, value in given.items()}
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **given}

    return set_limits


def session(client, ip, site_key="shop", **body):
    return client.post(
        SESSIONS, {"site": site_key, **body}, content_type="application/json", REMOTE_ADDR=ip, **EN
    )


def assert_rate_limited(response, *, at_most: int):
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert 1 <= error["retry_after"] <= at_most
    assert response["Retry-After"] == str(error["retry_after"])


def test_new_visitors_from_one_ip_are_refused_over_the_limit_and_make_no_customer(
    client, site, limits
):
    limits(visitor_new__ip=(3, 600))
    tokens = [session(client, "203.0.113.7").json()["visitor_token"] for _ in range(3)]
    assert Customer.objects.count() == 3

    refused = session(client, "203.0.113.7")
    assert_rate_limited(refused, at_most=600)
    assert Customer.objects.count() == 3

    # Another address is not held back, and a returning visitor is not a new one.
    assert session(client, "198.51.100.9").status_code == 200
    resumed = session(client, "203.0.113.7", visitor_token=tokens[0])
    assert resumed.status_code == 200
    assert Customer.objects.count() == 4


def test_new_visitors_of_one_site_are_refused_over_the_site_limit(client, site, limits):
    limits(visitor_new__site=(2, 60))
    other = WidgetSiteFactory(key="other")
    assert session(client, "203.0.113.1").status_code == 200
    assert session(client, "203.0.113.2").status_code == 200
    assert_rate_limited(session(client, "203.0.113.3"), at_most=60)
    assert session(client, "203.0.113.3", site_key=other.key).status_code == 200
    assert Customer.objects.count() == 3


def test_prechat_forms_from_one_ip_stop_starting_conversations(client, site, limits):
    site.prechat_enabled = True
    site.prechat_name = "required"
    site.save()
    limits(conversation_new__ip=(2, 600))
    for n in range(2):
        assert session(client, "203.0.113.7", prechat={"name": f"V{n}"}).status_code == 200
    assert Conversation.objects.count() == 2

    refused = session(client, "203.0.113.7", prechat={"name": "Flood"})
    assert_rate_limited(refused, at_most=600)
    assert Conversation.objects.count() == 2
    assert Customer.objects.count() == 2  # the whole session was refused: no customer either


def test_new_conversations_of_one_site_are_refused_over_the_site_limit(client, site, limits):
    site.prechat_enabled = True
    site.prechat_name = "required"
    site.save()
    limits(conversation_new__site=(1, 60))
    assert session(client, "203.0.113.1", prechat={"name": "A"}).status_code == 200
    assert_rate_limited(session(client, "203.0.113.2", prechat={"name": "B"}), at_most=60)
    assert Conversation.objects.count() == 1


def test_uploads_per_visitor_are_limited(client, site, limits):
    limits(upload__visitor=(2, 60))
    token = session(client, "203.0.113.7").json()["visitor_token"]
    assert upload(client, token).status_code == 201
    assert upload(client, token).status_code == 201
    assert_rate_limited(upload(client, token), at_most=60)
    assert Attachment.objects.count() == 2
    other = session(client, "203.0.113.7").json()["visitor_token"]
    assert upload(client, other).status_code == 201


def test_limits_can_be_turned_off(client, site, limits):
    limits(visitor_new__ip=(0, 60))
    for _ in range(5):
        assert session(client, "203.0.113.7").status_code == 200
