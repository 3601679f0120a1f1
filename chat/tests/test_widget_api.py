"""The widget's HTTP API: sessions and identity, pre-chat, uploads, history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import attachments, services
from chat.models import (
    Attachment,
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
    SenderType,
    WidgetVisitor,
)
from chat.tests.factories import CustomerIdentityFactory, WidgetSiteFactory
from chat.widget.sessions import user_hash
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/widget/v1/sessions/"
UPLOADS = "/api/widget/v1/attachments/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CONTEXT = {
    "page_url": "https://shop.example.com/orders/42",
    "page_title": "My order",
    "referrer": "https://www.example.org/",
    "browser": "Chrome 131",
    "os": "macOS",
    "device": "Desktop",
    "language": "en-US",
    "network_type": "4g",
}


def open_session(client, status=200, **body):
    body.setdefault("site", "shop")
    response = client.post(SESSIONS, body, content_type="application/json", **EN)
    assert response.status_code == status, response.content
    return response.json()


def history(client, token, conversation_id, query=""):
    url = f"/api/widget/v1/conversations/{conversation_id}/messages/{query}"
    return client.get(url, HTTP_X_VISITOR_TOKEN=token, **EN)


def upload(client, token, name="a.png", content=PNG, content_type="image/png", **extra):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(UPLOADS, {"token": token, "file": file}, **EN, **extra)


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", name="Shop", team=TeamFactory(name="Sales"))


def customer_of(data) -> Customer:
    from chat.widget.sessions import visitor_from_token

    return visitor_from_token(data["visitor_token"]).customer


# ---- sessions -----------------------------------------------------------------------------


def test_new_visitor_gets_a_token_a_customer_and_the_public_site_config(client, site):
    data = open_session(client, context=CONTEXT)

    customer = customer_of(data)
    identity = customer.identities.get()
    assert identity.kind == IdentityKind.WEB_VISITOR
    assert identity.external_id.startswith("shop:")
    assert not identity.verified
    assert data["customer"] == {"name": customer.display_name}
    assert customer.display_name.startswith("Visitor ")
    assert data["conversation"] is None  # started by the first message, not by a page view
    assert data["prechat_pending"] is False
    assert data["site"] == {
        "key": "shop",
        "name": "Shop",
        "language": "auto",
        "theme_color": "#3454d1",
        "welcome": {"zh-hans": site.welcome_zh, "en": site.welcome_en},
        "prechat": {"enabled": False, "fields": [], "topics": []},
        "require_identity": False,
        "offline_tickets": False,
        "menu": [],
    }
    assert site.secret not in str(data)
    visitor = WidgetVisitor.objects.get()
    assert visitor.context == CONTEXT
    assert visitor.ip_address == "127.0.0.1"
    assert not Conversation.objects.exists()


def test_the_token_resumes_the_same_customer_and_open_conversation(client, site):
    first = open_session(client)
    visitor = WidgetVisitor.objects.get()
    conversation, _ = _start(visitor)

    again = open_session(client, visitor_token=first["visitor_token"])
    second_tab = open_session(client, visitor_token=again["visitor_token"])

    assert customer_of(again) == customer_of(first) == customer_of(second_tab)
    assert again["conversation"]["id"] == second_tab["conversation"]["id"] == conversation.pk
    assert Customer.objects.count() == 1


def _start(visitor):
    from chat.widget.services import visitor_conversation_start

    return visitor_conversation_start(visitor=visitor)


@pytest.mark.parametrize("token", ["forged", "WzEsMV0:1xV0By:not-a-signature", "x" * 600])
def test_a_bad_token_starts_a_new_visitor(client, site, token):
    first = open_session(client)

    data = open_session(client, visitor_token=token[:500])

    assert customer_of(data) != customer_of(first)
    assert Customer.objects.count() == 2


def test_a_token_of_another_site_starts_a_new_visitor(client, site):
    WidgetSiteFactory(key="other")
    elsewhere = open_session(client, site="other")

    data = open_session(client, visitor_token=elsewhere["visitor_token"])

    assert customer_of(data) != customer_of(elsewhere)


@pytest.mark.parametrize("key", ["nope", "inactive"])
def test_unknown_or_inactive_site_is_404(client, site, key):
    WidgetSiteFactory(key="inactive", is_active=False)

    data = open_session(client, status=404, site=key)

    assert data["error"]["code"] == "not_found"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"site": ""}, "site"),
        ({"site": "shop", "context": {"page_title": 7}}, "context"),
        ({"site": "shop", "context": "here"}, "context"),
        ({"site": "shop", "user": {"name": "no id"}}, "user"),
        ({"site": "shop", "user": {"id": "1", "email": "not-an-email"}}, "user"),
    ],
)
def test_malformed_session_requests_are_400_and_create_nothing(client, site, body, field):
    data = open_session(client, status=400, **body)

    assert data["error"]["code"] == "invalid"
    assert field in data["error"]["fields"]
    assert not Customer.objects.exists()


def test_context_is_cut_to_size_and_keeps_only_web_urls(client, site):
    open_session(
        client,
        context={"page_title": "t" * 1000, "page_url": "javascript:alert(1)", "os": "Linux"},
    )

    assert WidgetVisitor.objects.get().context == {"page_title": "t" * 300, "os": "Linux"}


# ---- identity -----------------------------------------------------------------------------


def test_signed_in_user_with_a_valid_hash_is_a_verified_site_user(client, site):
    user = {"id": 42, "name": "Li Lei", "email": "li@example.com", "attributes": {"plan": "Gold"}}

    data = open_session(client, user=user, user_hash=user_hash(site, "42"))
    again = open_session(client, user=user, user_hash=user_hash(site, "42").upper())

    customer = customer_of(data)
    assert customer_of(again) == customer
    identity = customer.identities.get()
    assert (identity.kind, identity.external_id, identity.verified) == (
        IdentityKind.SITE_USER,
        "shop:42",
        True,
    )
    assert customer.display_name == "Li Lei"
    assert customer.attributes["plan"] == "Gold"
    assert customer.attributes["email"] == "li@example.com"


def test_a_wrong_hash_is_403_and_creates_nothing(client, site):
    data = open_session(client, status=403, user={"id": "42"}, user_hash=user_hash(site, "43"))

    assert data["error"]["code"] == "identity_invalid"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"user": {"id": "42"}}, {"user": {"id": "42"}, "user_hash": ""}]
)
def test_require_identity_refuses_visitors_without_a_valid_hash(client, site, body):
    site.require_identity = True
    site.save()

    data = open_session(client, status=403, **body)

    assert data["error"]["code"] == "identity_invalid"
    assert not Customer.objects.exists()
    ok = open_session(client, user={"id": "42"}, user_hash=user_hash(site, "42"))
    assert customer_of(ok).identities.get().external_id == "shop:42"


def test_user_data_without_a_hash_stays_with_the_anonymous_visitor(client, site):
    verified = open_session(
        client, user={"id": "7", "name": "Real"}, user_hash=user_hash(site, "7")
    )
    real = customer_of(verified)

    data = open_session(client, user={"id": "7", "name": "Pretender", "email": "x@example.com"})

    pretender = customer_of(data)
    assert pretender != real
    assert data["conversation"] is None
    assert pretender.identities.get().kind == IdentityKind.WEB_VISITOR
    assert pretender.display_name == "Pretender"
    assert pretender.attributes["claimed_user_id"] == "7"
    assert pretender.attributes["claimed_email"] == "x@example.com"
    real.refresh_from_db()
    assert real.display_name == "Real"


def test_a_signed_in_users_token_is_not_resumed_after_sign_out(client, site):
    signed_in = open_session(client, user={"id": "7"}, user_hash=user_hash(site, "7"))
    user = customer_of(signed_in)
    _start(WidgetVisitor.objects.get())

    signed_out = open_session(client, visitor_token=signed_in["visitor_token"])

    assert customer_of(signed_out) != user
    assert signed_out["conversation"] is None
    assert signed_out["resumed"] is False
    # ...and the user's token stops working (chat/tests/test_widget_tokens.py has the rest).
    assert history(client, signed_in["visitor_token"], 1).status_code == 403


# ---- pre-chat -----------------------------------------------------------------------------


@pytest.fixture
def prechat_site(site):
    site.prechat_enabled = True
    site.prechat_name = "required"
    site.prechat_email = "optional"
    site.prechat_topic = "optional"
    site.prechat_topics = "Orders\nReturns"
    site.save()
    return site


def test_prechat_answers_start_the_conversation_with_context_and_team(client, prechat_site):
    first = open_session(client, context=CONTEXT)
    assert first["prechat_pending"] is True
    assert first["site"]["prechat"] == {
        "enabled": True,
        "fields": [
            {"name": "name", "required": True},
            {"name": "email", "required": False},
            {"name": "topic", "required": False},
        ],
        "topics": ["Orders", "Returns"],
    }

    data = open_session(
        client,
        visitor_token=first["visitor_token"],
        prechat={"name": "Wang Fang", "email": "wf@example.com", "topic": "Returns"},
    )

    assert data["prechat_pending"] is False
    assert data["customer"] == {"name": "Wang Fang"}
    conversation = Conversation.objects.get()
    assert data["conversation"]["id"] == conversation.pk
    assert data["conversation"]["status"] == "waiting"
    assert conversation.subject == "Returns"
    assert conversation.team == prechat_site.team
    assert conversation.widget_site == prechat_site
    assert conversation.channel == "web"
    assert (conversation.page_url, conversation.page_title) == (
        CONTEXT["page_url"],
        CONTEXT["page_title"],
    )
    assert (conversation.browser, conversation.os, conversation.device) == (
        "Chrome 131",
        "macOS",
        "Desktop",
    )
    assert conversation.referrer == CONTEXT["referrer"]
    assert conversation.ip_address == "127.0.0.1"


def test_an_email_in_the_prechat_never_reaches_another_customer(client, prechat_site):
    owner = CustomerIdentityFactory(kind=IdentityKind.EMAIL, external_id="vip@example.com")
    services.conversation_start(customer=owner.customer, channel="email")
    secret_name = owner.customer.display_name

    data = open_session(client, prechat={"name": "Someone", "email": "vip@example.com"})

    visitor = customer_of(data)
    assert visitor != owner.customer
    assert visitor.attributes["prechat_email"] == "vip@example.com"
    assert secret_name not in str(data)
    assert data["conversation"]["id"] != owner.customer.conversations.get().pk
    assert list(CustomerIdentity.objects.filter(external_id="vip@example.com")) == [owner]
    assert visitor.identities.get().kind == IdentityKind.WEB_VISITOR
    owner.customer.refresh_from_db()
    assert owner.customer.display_name == secret_name


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"email": "a@example.com"}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "A", "email": "nope"}, "email"),
        ({"name": "A", "topic": "Refunds"}, "topic"),
        ({"name": "A", "phone": "123456"}, "phone"),  # the form does not ask for a phone
        ({"name": "A" * 201}, "name"),
    ],
)
def test_bad_prechat_answers_are_400_and_change_nothing(client, prechat_site, answers, field):
    first = open_session(client)

    data = open_session(client, status=400, visitor_token=first["visitor_token"], prechat=answers)

    assert data["error"]["code"] == "invalid"
    assert field in str(data["error"]["fields"])
    assert not Conversation.objects.exists()
    assert Customer.objects.count() == 1
    assert customer_of(first).attributes == {"widget_site": "shop"}


def test_prechat_on_a_site_without_a_form_is_400(client, site):
    data = open_session(client, status=400, prechat={"name": "A"})

    assert "prechat" in data["error"]["fields"]
    assert not Customer.objects.exists()


# ---- attachments --------------------------------------------------------------------------


def test_upload_starts_the_conversation_and_returns_a_working_url(client, site):
    token = open_session(client, context=CONTEXT)["visitor_token"]

    response = upload(client, token)

    assert response.status_code == 201, response.content
    data = response.json()
    attachment = Attachment.objects.get()
    assert data == {
        "id": attachment.pk,
        "name": "a.png",
        "content_type": "image/png",
        "size": len(PNG),
        "url": data["url"],
    }
    conversation = Conversation.objects.get()
    assert attachment.conversation == conversation
    assert (conversation.team, conversation.widget_site) == (site.team, site)
    assert conversation.page_url == CONTEXT["page_url"]
    download = client.get(data["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG


def test_upload_goes_to_the_open_conversation(client, site):
    token = open_session(client)["visitor_token"]
    conversation, _ = _start(WidgetVisitor.objects.get())

    assert upload(client, token).status_code == 201

    assert Attachment.objects.get().conversation == conversation
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_upload_without_a_valid_token_is_403(client, site, token):
    response = (
        upload(client, token)
        if token is not None
        else client.post(UPLOADS, {"file": SimpleUploadedFile("a.png", PNG, "image/png")}, **EN)
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_token"
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("page.html", b"<script>alert(1)</script>", "text/html", "unsupported_type"),
        ("fake.png", b"<html>not an image</html>", "image/png", "type_mismatch"),
        ("empty.pdf", b"", "application/pdf", "empty_file"),
        ("big.png", PNG + b"\x00" * 200, "image/png", "file_too_large"),
    ],
)
def test_refused_uploads_are_400_and_store_nothing(
    client, site, monkeypatch, name, content, content_type, code
):
    monkeypatch.setitem(attachments.ALLOWED, "image/png", attachments.Kind("image", len(PNG) + 100))
    token = open_session(client)["visitor_token"]

    response = upload(client, token, name, content, content_type)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert not Attachment.objects.exists()
    assert not Conversation.objects.exists()  # the conversation it would have started, too


def test_an_upload_body_over_the_limit_is_413(client, site):
    from chat.widget.api import MAX_UPLOAD_BODY

    token = open_session(client)["visitor_token"]

    response = upload(client, token, CONTENT_LENGTH=str(MAX_UPLOAD_BODY + 1))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Attachment.objects.exists()


def test_upload_before_the_prechat_form_is_refused(client, prechat_site):
    token = open_session(client)["visitor_token"]

    response = upload(client, token)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "prechat_required"
    assert not Attachment.objects.exists()
    assert not Conversation.objects.exists()


# ---- history ------------------------------------------------------------------------------


def _conversation_with(client, count):
    data = open_session(client)
    conversation, _ = _start(WidgetVisitor.objects.get(customer=customer_of(data)))
    agent = AgentProfileFactory(display_name="Carol")
    for n in range(count):
        sender = SenderType.AGENT if n % 2 else SenderType.CUSTOMER
        services.message_create(
            conversation=conversation,
            sender_type=sender,
            sender_user=agent.user if n % 2 else None,
            body=f"m{n}",
        )
    services.message_create(
        conversation=conversation,
        sender_type=SenderType.AGENT,
        sender_user=agent.user,
        body="internal: customer is rude",
        is_internal=True,
    )
    return data["visitor_token"], conversation


def test_history_pages_back_and_hides_internal_notes(client, site):
    token, conversation = _conversation_with(client, 40)

    latest = history(client, token, conversation.pk)
    earlier = history(client, token, conversation.pk, "?before_seq=11")

    assert latest.status_code == 200
    page = latest.json()
    assert [m["body"] for m in page["messages"]] == [f"m{n}" for n in range(10, 40)]
    assert page["has_more"] is True
    assert page["last_seq"] == 41  # the internal note's number: the widget's cursor skips it
    agent_message = page["messages"][1]
    assert agent_message["sender"] == {"name": "Carol", "avatar_url": ""}
    assert "is_internal" not in agent_message
    back = earlier.json()
    assert [m["seq"] for m in back["messages"]] == list(range(1, 11))
    assert back["has_more"] is False


def test_history_costs_the_same_queries_for_any_page_size(client, site):
    small_token, small = _conversation_with(client, 3)
    big_token, big = _conversation_with(client, 30)

    with CaptureQueriesContext(connection) as few:
        assert history(client, small_token, small.pk).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert history(client, big_token, big.pk).status_code == 200

    assert len(few) == len(many) <= 6


def test_history_of_another_visitors_conversation_is_404(client, site):
    mine, _ = _conversation_with(client, 2)
    _, theirs = _conversation_with(client, 2)
    agent_side = services.conversation_start(customer=Customer.objects.first(), channel="web")

    for conversation_id in (theirs.pk, agent_side.pk, 999999):
        response = history(client, mine, conversation_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_history_needs_a_valid_token_and_a_sane_cursor(client, site):
    token, conversation = _conversation_with(client, 2)

    assert history(client, "forged", conversation.pk).status_code == 403
    assert (
        client.get(f"/api/widget/v1/conversations/{conversation.pk}/messages/").status_code == 403
    )
    bad = history(client, token, conversation.pk, "?before_seq=zero")
    assert bad.status_code == 400
    assert "before_seq" in bad.json()["error"]["fields"]
    assert Message.objects.filter(conversation=conversation).count() == 3
