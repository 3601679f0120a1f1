"""Uploads belong to their uploader: who may attach them, delete them, and for how long their
links work; unsent uploads are swept."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import attachments, events, services
from chat.models import Attachment, Message, SenderType
from chat.tasks import unsent_uploads_sweep
from chat.tests.factories import AttachmentFactory, ConversationFactory, WidgetSiteFactory
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WIDGET_UPLOADS = "/api/widget/v1/attachments/"


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", team=TeamFactory(name="Sales"))


@pytest.fixture
def visitor_chat(site):
    """A visitor with an open conversation: (token, visitor, conversation)."""
    session = widget_sessions.widget_session_open(site=site, context={})
    conversation, _ = widget_services.visitor_conversation_start(visitor=session.visitor)
    return session.token, session.visitor, conversation


def agents_upload(agent, conversation, **extra):
    return AttachmentFactory(
        conversation=conversation, uploader_type=SenderType.AGENT, uploader_user=agent.user, **extra
    )


def widget_upload(client, token):
    file = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    return client.post(WIDGET_UPLOADS, {"file": file}, HTTP_X_VISITOR_TOKEN=token, **EN)


def widget_discard(client, token, attachment_id):
    return client.delete(f"{WIDGET_UPLOADS}{attachment_id}/", HTTP_X_VISITOR_TOKEN=token, **EN)


def agent_discard(client, conversation, attachment_id):
    url = f"/api/v1/conversations/{conversation.pk}/attachments/{attachment_id}/"
    return client.delete(url, **EN)


# ---- who may attach -----------------------------------------------------------------------


def test_uploads_record_who_made_them(client, site):
    agent = AgentProfileFactory(teams=[site.team])
    token = widget_sessions.widget_session_open(site=site, context={}).token
    assert widget_upload(client, token).status_code == 201
    conversation = Attachment.objects.get().conversation
    client.force_login(agent.user)
    url = f"/api/v1/conversations/{conversation.pk}/attachments/"
    file = SimpleUploadedFile("b.png", PNG, content_type="image/png")
    assert client.post(url, {"file": file}, **EN).status_code == 201

    assert list(
        Attachment.objects.order_by("pk").values_list("uploader_type", "uploader_user")
    ) == [("customer", None), ("agent", agent.user.pk)]


def test_a_visitor_cannot_attach_an_agents_unsent_upload(visitor_chat, agent):
    _, visitor, conversation = visitor_chat
    agents = agents_upload(agent, conversation)

    with pytest.raises(services.InvalidAttachment):
        widget_services.widget_message_send(
            visitor=visitor,
            client_msg_id="c-1",
            body="mine now",
            attachment_ids=[agents.pk],
            conversation_id=conversation.pk,
        )

    assert not Message.objects.exists()
    agents.refresh_from_db()
    assert agents.message is None


def test_an_agent_cannot_attach_the_customers_or_a_colleagues_upload(agent):
    conversation = ConversationFactory()
    customers = AttachmentFactory(conversation=conversation)
    colleagues = agents_upload(AgentProfileFactory(), conversation)
    own = agents_upload(agent, conversation)

    for foreign in (customers, colleagues):
        with pytest.raises(services.InvalidAttachment):
            services.message_send_as_agent(
                actor=agent.user,
                conversation=conversation,
                body="",
                client_msg_id=f"a-{foreign.pk}",
                attachment_ids=[own.pk, foreign.pk],
            )
    sent = services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="", client_msg_id="a-own",
        attachment_ids=[own.pk],
    ).message  # fmt: skip

    assert list(Attachment.objects.filter(message=sent)) == [own]
    assert Attachment.objects.filter(message=None).count() == 2


def test_an_upload_from_before_uploaders_were_recorded_is_nobodys(agent):
    conversation = ConversationFactory()
    unknown = AttachmentFactory(conversation=conversation, uploader_type="")

    with pytest.raises(services.InvalidAttachment):
        services.message_create(
            conversation=conversation,
            sender_type=SenderType.CUSTOMER,
            attachment_ids=[unknown.pk],
        )


# ---- removing a chip deletes the upload ---------------------------------------------------


def test_a_visitor_deletes_its_own_unsent_upload_and_nothing_else(
    client, visitor_chat, agent, django_capture_on_commit_callbacks
):
    token, visitor, conversation = visitor_chat
    own = widget_upload(client, token).json()
    stored = Attachment.objects.get(pk=own["id"])
    storage, name = stored.file.storage, stored.file.name
    agents = agents_upload(agent, conversation)
    other_token, _, _ = _another_visitor(conversation.widget_site)
    others = widget_upload(Client(), other_token).json()
    sent = AttachmentFactory(conversation=conversation)
    widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="", attachment_ids=[sent.pk]
    )

    for foreign in (agents.pk, others["id"], sent.pk, 999999):
        response = widget_discard(client, token, foreign)
        assert response.status_code == 404, foreign
        assert response.json() == {"error": {"code": "not_found", "message": "No such upload."}}
    assert widget_discard(client, "forged", own["id"]).status_code == 403
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        assert widget_discard(client, token, own["id"]).status_code == 204

    assert not Attachment.objects.filter(pk=own["id"]).exists()
    assert not storage.exists(name)
    assert set(Attachment.objects.values_list("pk", flat=True)) == {
        agents.pk,
        others["id"],
        sent.pk,
    }
    assert widget_discard(client, token, own["id"]).status_code == 404


def _another_visitor(site):
    session = widget_sessions.widget_session_open(site=site, context={})
    widget_services.visitor_conversation_start(visitor=session.visitor)
    return session.token, session.visitor, None


def test_an_agent_deletes_only_their_own_unsent_upload(
    agent_client, agent, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory()
    own = agents_upload(agent, conversation)
    storage, name = own.file.storage, own.file.name
    colleagues = agents_upload(AgentProfileFactory(), conversation)
    customers = AttachmentFactory(conversation=conversation)
    sent = agents_upload(agent, conversation)
    services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="", client_msg_id="a-1",
        attachment_ids=[sent.pk],
    )  # fmt: skip
    hidden = ConversationFactory(team=TeamFactory(name="Elsewhere"))
    out_of_scope = agents_upload(agent, hidden)

    for foreign in (colleagues.pk, customers.pk, sent.pk, out_of_scope.pk, 999999):
        response = agent_discard(agent_client, conversation, foreign)
        assert response.status_code == 404, foreign
        assert response.json()["error"]["code"] == "not_found"
    assert agent_discard(agent_client, hidden, out_of_scope.pk).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        assert agent_discard(agent_client, conversation, own.pk).status_code == 204

    assert not Attachment.objects.filter(pk=own.pk).exists()
    assert not storage.exists(name)
    assert Attachment.objects.count() == 4


# ---- unsent uploads expire ----------------------------------------------------------------


def test_the_beat_sweep_deletes_uploads_never_sent_after_the_configured_age(
    settings, django_capture_on_commit_callbacks
):
    settings.UNSENT_UPLOAD_MAX_AGE_HOURS = 24
    conversation = ConversationFactory()
    stale, fresh, sent = (AttachmentFactory(conversation=conversation) for _ in range(3))
    services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, attachment_ids=[sent.pk]
    )
    long_ago = timezone.now() - timedelta(hours=25)
    Attachment.objects.filter(pk__in=[stale.pk, sent.pk]).update(created_at=long_ago)
    storage, name = stale.file.storage, stale.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert unsent_uploads_sweep() == 1

    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, sent.pk}
    assert not storage.exists(name)
    assert storage.exists(sent.file.name)
    assert unsent_uploads_sweep() == 0


def test_the_sweep_is_scheduled_by_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["unsent-uploads-sweep"]
    assert entry["task"] == unsent_uploads_sweep.name == "chat.tasks.unsent_uploads_sweep"


# ---- links expire -------------------------------------------------------------------------


def test_a_link_works_until_it_expires_then_answers_410(client, settings, monkeypatch):
    settings.ATTACHMENT_URL_MAX_AGE_SECONDS = 3600
    attachment = AttachmentFactory()
    issued_at = 1_800_000_000.0
    monkeypatch.setattr(attachments, "_now", lambda: issued_at)
    url = attachments.attachment_url(attachment)
    # One URL for every receiver of a push and every page loaded soon after (cache-friendly).
    monkeypatch.setattr(attachments, "_now", lambda: issued_at + 100)
    assert attachments.attachment_url(attachment) == url

    monkeypatch.setattr(attachments, "_now", lambda: issued_at + 3000)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"

    monkeypatch.setattr(attachments, "_now", lambda: issued_at + 3700)
    expired = client.get(url)
    assert expired.status_code == 410
    assert client.get(attachments.attachment_url(attachment)).status_code == 200


def test_a_forged_or_permanent_old_style_link_is_404(client):
    attachment = AttachmentFactory()
    url = attachments.attachment_url(attachment)
    prefix, token = url.rstrip("/").rsplit("/", 1)
    issued, signature = token.split(".")
    old_style = signing.Signer(salt="unidesk.attachment").sign(str(attachment.pk)).rsplit(":")[1]
    other = AttachmentFactory()

    for bad in (
        f"{prefix}/{issued}.{signature[:-1]}x/",
        f"{prefix}/{signing.b62_encode(signing.b62_decode(issued) + 99999)}.{signature}/",
        f"{prefix}/{old_style}/",
        f"{prefix}/{token}".replace(f"/{attachment.pk}/", f"/{other.pk}/") + "/",
        f"{prefix}/%E2%91%A0.{signature}/",
    ):
        assert client.get(bad).status_code == 404, bad


def test_history_hands_out_fresh_links_after_old_ones_expired(
    client, settings, monkeypatch, visitor_chat
):
    settings.ATTACHMENT_URL_MAX_AGE_SECONDS = 3600
    token, visitor, conversation = visitor_chat
    monkeypatch.setattr(attachments, "_now", lambda: 1_800_000_000.0)
    uploaded = widget_upload(client, token).json()
    widget_services.widget_message_send(
        visitor=visitor, client_msg_id="c-1", body="", attachment_ids=[uploaded["id"]]
    )

    monkeypatch.setattr(attachments, "_now", lambda: 1_800_000_000.0 + 7200)
    assert client.get(uploaded["url"]).status_code == 410
    page = client.get(
        f"/api/widget/v1/conversations/{conversation.pk}/messages/", HTTP_X_VISITOR_TOKEN=token
    ).json()
    fresh = page["messages"][0]["attachments"][0]["url"]

    assert fresh != uploaded["url"]
    assert client.get(fresh).status_code == 200
    message = Message.objects.get()
    assert events.message_json(message)["attachments"][0]["url"] == fresh


def test_the_uploader_check_costs_no_statement_on_the_message_path(agent):
    conversation = ConversationFactory()
    upload = agents_upload(agent, conversation)

    with CaptureQueriesContext(connection) as queries:
        services.message_send_as_agent(
            actor=agent.user, conversation=conversation, body="", client_msg_id="a-1",
            attachment_ids=[upload.pk],
        )  # fmt: skip

    sql = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    # lock + seq + counters (one UPDATE), uploads (one query, owner included), the message,
    # the link, the domain event (chat/tests/test_message_path.py pins the rest of the path)
    assert [statement.split()[0] for statement in sql] == [
        "UPDATE", "SELECT", "INSERT", "UPDATE", "INSERT"
    ]  # fmt: skip
    assert '"chat_attachment"' in sql[1] and '"uploader_user_id"' in sql[1]
