"""The workspace's conversation API: list, history, uploads and header actions. The detail with
the customer panel is tickets' (tickets/tests/test_customer_panel.py)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from chat import services
from chat.models import Attachment, Channel, Conversation, IdentityKind, Message, SenderType
from chat.search.index import messages_backfill
from chat.tests.factories import (
    AttachmentFactory,
    ConversationFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
)
from chat.tests.paging import walk_pages
from routing.tests.factories import AgentProfileFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/conversations/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def at(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


def conversation(minutes_ago: int = 0, **kwargs) -> Conversation:
    return ConversationFactory(last_message_at=at(minutes_ago), **kwargs)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def say(conv, sender_type=SenderType.CUSTOMER, body="hi", user=None, internal=False):
    return services.message_create(
        conversation=conv, sender_type=sender_type, body=body, sender_user=user,
        is_internal=internal,
    ).message  # fmt: skip


# ---- access -------------------------------------------------------------------------------


def test_anonymous_and_non_agents_are_refused(client):
    assert client.get(LIST, **EN).status_code == 403
    client.force_login(UserFactory())
    response = client.get(LIST, **EN)
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "Only agents may use the conversation API.",
        }
    }


@pytest.mark.parametrize(
    "path",
    ["", "messages/", "assign/", "transfer/", "close/", "reopen/", "attachments/"],
)
def test_a_conversation_of_another_team_is_not_found_and_unchanged(agent_client, path):
    other = conversation(team=TeamFactory(name="Elsewhere"), status="open")
    url = f"{LIST}{other.pk}/{path}"
    if path in ("", "messages/"):
        response = agent_client.get(url, **EN)
    else:
        response = agent_client.post(url, {"team_id": other.team_id}, **EN)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No such conversation."}}
    assert agent_client.get(f"{LIST}999999/", **EN).json() == response.json()
    other.refresh_from_db()
    assert other.status == "open" and other.last_seq == 0
    assert not Attachment.objects.exists()


# ---- the list -----------------------------------------------------------------------------


def test_filters_follow_scope_and_assignment(agent_client, agent, supervisor):
    mine_team = TeamFactory(name="Mine")
    agent.teams.set([mine_team])
    colleague = AgentProfileFactory()
    mine = conversation(1, assignee=agent.user, team=TeamFactory(name="Foreign"))
    unowned = conversation(2)
    team_assigned = conversation(3, team=mine_team, assignee=colleague.user)
    conversation(4, team=TeamFactory(name="Hidden"))  # out of scope entirely

    assert ids(agent_client.get(LIST)) == [mine.pk, unowned.pk, team_assigned.pk]
    assert ids(agent_client.get(LIST, {"filter": "mine"})) == [mine.pk]
    assert ids(agent_client.get(LIST, {"filter": "unassigned"})) == [unowned.pk]
    assert ids(agent_client.get(LIST, {"team": mine_team.pk})) == [team_assigned.pk]

    boss = Client()
    boss.force_login(supervisor.user)
    assert len(ids(boss.get(LIST))) == 4


def test_channel_and_status_filters(agent_client):
    web = conversation(1, channel=Channel.WEB, status="open")
    mail = conversation(2, channel=Channel.EMAIL, status="waiting")
    closed = conversation(3, channel=Channel.EMAIL, status="closed")
    assert ids(agent_client.get(LIST, {"channel": "email"})) == [mail.pk, closed.pk]
    assert ids(agent_client.get(LIST, {"status": "active"})) == [web.pk, mail.pk]
    assert ids(agent_client.get(LIST, {"status": "closed"})) == [closed.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"filter": "everything"}, "filter"),
        ({"channel": "fax"}, "channel"),
        ({"status": "sleeping"}, "status"),
        ({"team": "x"}, "team"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMl0"}, "cursor"),  # base64 of [1,2]: no date
    ],
)
def test_bad_list_parameters_are_400(agent_client, params, field):
    response = agent_client.get(LIST, params, **EN)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_search_finds_names_identities_and_message_text(agent_client):
    by_name = conversation(1, customer=CustomerFactory(display_name="Zhang Wei 张伟"))
    by_identity = conversation(2)
    CustomerIdentityFactory(
        customer=by_identity.customer, kind=IdentityKind.EMAIL, external_id="lucky@example.com"
    )
    by_text = conversation(3)
    MessageFactory(conversation=by_text, body="My parcel ZX-991 never arrived")
    by_note = conversation(4)
    MessageFactory(conversation=by_note, body="internal: zx-991 refund", is_internal=True)
    conversation(5)
    messages_backfill()  # factories write no search rows

    assert ids(agent_client.get(LIST, {"q": "张伟"})) == [by_name.pk]
    assert ids(agent_client.get(LIST, {"q": "LUCKY@"})) == [by_identity.pk]
    assert set(ids(agent_client.get(LIST, {"q": "zx-991"}))) == {by_text.pk, by_note.pk}
    assert ids(agent_client.get(LIST, {"q": f"#{by_text.pk}"})) == [by_text.pk]
    assert ids(agent_client.get(LIST, {"q": "nothing like it"})) == []


def test_keyset_pages_cover_everything_once_even_with_ties(agent_client):
    same = at(10)
    made = [ConversationFactory(last_message_at=same) for _ in range(5)]
    made += [conversation(minutes) for minutes in (1, 2, 3)]
    never = ConversationFactory(last_message_at=None)  # sorts by its creation time
    seen, pages = walk_pages(agent_client, LIST, {"limit": 3})
    ties = sorted((c.pk for c in made[:5]), reverse=True)
    expected = [never.pk, made[5].pk, made[6].pk, made[7].pk, *ties]
    assert seen == expected
    assert pages == 3


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(
    agent_client, agent, django_assert_num_queries
):
    agent.teams.set([TeamFactory(name="Sales")])

    def fill(count):
        for index in range(count):
            assignee = AgentProfileFactory().user
            conv = conversation(index, team=agent.teams.first(), assignee=assignee)
            MessageFactory(conversation=conv, body="where is my order?")
            MessageFactory(conversation=conv, sender_type=SenderType.AGENT, body="checking")

    fill(2)
    with django_assert_num_queries(8) as small:  # session, user, agent, scope, page
        assert len(ids(agent_client.get(LIST))) == 2
    fill(20)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(ids(agent_client.get(LIST))) == 22


def test_a_row_has_the_summary_preview_and_waiting_time(agent_client, agent):
    conv = ConversationFactory(customer=CustomerFactory(display_name="Lin", vip_level=3))
    first = say(conv, body="hello?")
    say(conv, body="anyone?")
    say(conv, SenderType.AGENT, body="note to self", user=agent.user, internal=True)
    row = agent_client.get(LIST).json()["results"][0]
    conv.refresh_from_db()
    assert row["customer"] == {"id": conv.customer_id, "name": "Lin", "vip_level": 3}
    assert row["last_message"] == {"body": "anyone?", "content_type": "text",
                                   "sender_type": "customer", "sender": None}  # fmt: skip
    assert row["waiting_since"] == first.created_at.isoformat()
    assert row["unread_by_agent"] == 2
    assert row["last_seq"] == 3
    assert row["assignee"] is None and row["team"] is None

    say(conv, SenderType.AGENT, body="Here!", user=agent.user)
    row = agent_client.get(LIST).json()["results"][0]
    assert row["waiting_since"] is None
    assert row["last_message"]["body"] == "Here!"
    later = say(conv, body="thanks, one more thing")
    assert agent_client.get(LIST).json()["results"][0]["waiting_since"] == (
        later.created_at.isoformat()
    )


def test_the_last_message_names_the_agent_who_wrote_it(agent_client, agent):
    """The inbox says "You:" only for the viewer's own words: the row names the writer."""
    colleague = AgentProfileFactory(display_name="Mark Li")
    nameless = UserFactory(username="helper")  # an agent without a profile: the username
    conv = ConversationFactory()
    say(conv, body="hello?")
    say(conv, SenderType.AGENT, body="On it", user=colleague.user)
    say(conv, SenderType.AGENT, body="note", user=agent.user, internal=True)  # not shown

    last = agent_client.get(LIST).json()["results"][0]["last_message"]
    assert last["body"] == "On it"
    assert last["sender"] == {"id": colleague.user_id, "name": "Mark Li"}

    say(conv, SenderType.AGENT, body="Mine", user=agent.user)
    last = agent_client.get(LIST).json()["results"][0]["last_message"]
    assert last["sender"] == {"id": agent.user_id, "name": agent.display_name}
    say(conv, SenderType.AGENT, body="From the back office", user=nameless)
    last = agent_client.get(LIST).json()["results"][0]["last_message"]
    assert last["sender"] == {"id": nameless.pk, "name": "helper"}
    say(conv, SenderType.BOT, body="Bot here")
    assert agent_client.get(LIST).json()["results"][0]["last_message"]["sender"] is None


# ---- history ------------------------------------------------------------------------------


def test_history_pages_backwards_and_includes_internal_notes(agent_client, agent):
    conv = ConversationFactory()
    for index in range(7):
        say(conv, body=f"m{index}", internal=index == 3, user=agent.user)
    url = f"{LIST}{conv.pk}/messages/"
    page = agent_client.get(url, {"limit": 3}).json()
    assert [m["seq"] for m in page["results"]] == [5, 6, 7]
    assert page["has_more"] is True and page["last_seq"] == 7
    page = agent_client.get(url, {"limit": 3, "before_seq": 5}).json()
    assert [(m["seq"], m["is_internal"]) for m in page["results"]] == [
        (2, False), (3, False), (4, True)
    ]  # fmt: skip
    page = agent_client.get(url, {"limit": 3, "before_seq": 2}).json()
    assert [m["seq"] for m in page["results"]] == [1]
    assert page["has_more"] is False
    assert agent_client.get(url, {"before_seq": "0"}).status_code == 400


# ---- uploads ------------------------------------------------------------------------------


def upload(client, conv, name, data, content_type):
    return client.post(
        f"{LIST}{conv.pk}/attachments/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        **EN,
    )


def test_upload_stores_an_unsent_attachment(agent_client):
    conv = ConversationFactory()
    response = upload(agent_client, conv, "photo.png", PNG, "image/png")
    assert response.status_code == 201
    body = response.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk
    assert (body["name"], body["content_type"], body["size"]) == ("photo.png", "image/png", 40)
    assert body["url"].startswith(f"/attachments/{attachment.pk}/")
    assert attachment.message is None and attachment.conversation == conv
    assert agent_client.get(body["url"]).status_code == 200


@pytest.mark.parametrize(
    ("name", "data", "content_type", "code", "message"),
    [
        ("page.html", b"<script>", "text/html", "unsupported_type",
         "Files of this type cannot be sent."),
        ("fake.png", b"<html>not a png", "image/png", "type_mismatch",
         "The file's content does not match its type."),
        ("empty.txt", b"", "text/plain", "empty_file", "The file is empty."),
        ("big.txt", b"x" * (5 * 1024 * 1024 + 1), "text/plain", "file_too_large",
         "Files of this type may be at most 5 MB."),
    ],
)  # fmt: skip
def test_bad_uploads_are_refused_and_store_nothing(
    agent_client, name, data, content_type, code, message
):
    conv = ConversationFactory()
    response = upload(agent_client, conv, name, data, content_type)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": code, "message": message}}
    assert not Attachment.objects.exists()


def test_upload_without_a_file_is_400(agent_client):
    conv = ConversationFactory()
    response = agent_client.post(f"{LIST}{conv.pk}/attachments/", {}, **EN)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["file"]


# ---- header actions -----------------------------------------------------------------------


def events_of(conv) -> list[dict]:
    return [m.payload for m in Message.objects.filter(conversation=conv).order_by("seq")]


def post(client, conv, action, data=None):
    return client.post(
        f"{LIST}{conv.pk}/{action}/", data or {}, content_type="application/json", **EN
    )


def test_assign_to_me_then_to_a_colleague_then_unassign(agent_client, agent):
    colleague = AgentProfileFactory(display_name="Bob")
    conv = ConversationFactory()
    response = post(agent_client, conv, "assign", {"assignee_id": agent.user_id})
    assert response.status_code == 200
    assert response.json()["assignee"] == {"id": agent.user_id, "name": agent.display_name}
    assert post(agent_client, conv, "assign", {"assignee_id": agent.user_id}).status_code == 200
    assert post(agent_client, conv, "assign", {"assignee_id": colleague.user_id}).json()[
        "assignee"
    ] == {"id": colleague.user_id, "name": "Bob"}
    assert post(agent_client, conv, "assign", {"assignee_id": None}).json()["assignee"] is None
    names = (agent.user.username, colleague.user.username)
    assert events_of(conv) == [
        {"event": "conversation.assignee", "old": "", "new": names[0]},
        {"event": "conversation.assignee", "old": names[0], "new": names[1]},
        {"event": "conversation.assignee", "old": names[1], "new": ""},
    ]
    assert Message.objects.filter(conversation=conv).first().sender_user == agent.user


@pytest.mark.parametrize("payload", [{}, {"assignee_id": "x"}, {"assignee_id": 999999}])
def test_assign_to_nobody_known_is_400_and_changes_nothing(agent_client, payload):
    conv = ConversationFactory()
    response = post(agent_client, conv, "assign", payload)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["assignee_id"]
    conv.refresh_from_db()
    assert conv.assignee is None and conv.last_seq == 0


def test_assign_to_a_non_agent_is_400(agent_client):
    conv = ConversationFactory()
    response = post(agent_client, conv, "assign", {"assignee_id": UserFactory().pk})
    assert response.json()["error"]["fields"] == {"assignee_id": ["No such agent."]}


def test_transfer_to_a_team_clears_the_assignee(agent_client, agent):
    team = TeamFactory(name="Support")
    conv = ConversationFactory(assignee=agent.user)
    response = post(agent_client, conv, "transfer", {"team_id": team.pk})
    assert response.status_code == 200
    assert response.json()["team"] == {"id": team.pk, "name": "Support"}
    assert response.json()["assignee"] is None
    assert {p["event"] for p in events_of(conv)} == {
        "conversation.team",
        "conversation.assignee",
    }
    # The agent is not in Support: the conversation has left their scope.
    assert agent_client.get(f"{LIST}{conv.pk}/").status_code == 404


@pytest.mark.parametrize("payload", [{}, {"team_id": 999999}, {"team_id": None}])
def test_transfer_to_an_unknown_team_is_400(agent_client, payload):
    conv = ConversationFactory()
    inactive = TeamFactory(name="Gone", is_active=False)
    for data in (payload, {"team_id": inactive.pk}):
        response = post(agent_client, conv, "transfer", data)
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["team_id"]
    conv.refresh_from_db()
    assert conv.team is None and conv.last_seq == 0


def test_close_and_reopen_leave_activity_messages(agent_client):
    conv = ConversationFactory(status="open")
    response = post(agent_client, conv, "close")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["closed_at"] is not None
    assert post(agent_client, conv, "close").status_code == 200  # already closed: no change
    response = post(agent_client, conv, "reopen")
    assert response.json()["status"] == "open" and response.json()["closed_at"] is None
    assert post(agent_client, conv, "reopen").status_code == 200
    assert events_of(conv) == [
        {"event": "conversation.status", "old": "open", "new": "closed"},
        {"event": "conversation.status", "old": "closed", "new": "open"},
    ]


def test_used_attachment_cannot_be_uploaded_twice_into_a_message(agent, agent_client):
    conv = ConversationFactory()
    attachment = AttachmentFactory(
        conversation=conv, uploader_type="agent", uploader_user=agent.user
    )
    result = services.message_send_as_agent(
        actor=agent.user, conversation=conv, body="", client_msg_id="a1",
        attachment_ids=[attachment.pk],
    )  # fmt: skip
    assert result.message.content_type == "file"
    with pytest.raises(services.InvalidAttachment):
        services.message_send_as_agent(
            actor=agent.user, conversation=conv, body="again", client_msg_id="a2",
            attachment_ids=[attachment.pk],
        )  # fmt: skip


def test_transfer_to_an_agent_with_a_note_the_receiver_reads(agent_client, agent):
    """Issue 12: the receiver gets the chat and the note in its history; their load counts."""
    team = agent.teams.first() or TeamFactory(name="Sales")
    conv = ConversationFactory(team=team, assignee=agent.user, status="open")
    colleague = AgentProfileFactory(user__username="mark", teams=[team])

    response = post(
        agent_client,
        conv,
        "transfer",
        {"assignee_id": colleague.user_id, "note": "VIP, wants a refund 退款"},
    )

    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == colleague.user_id
    note = Message.objects.get(conversation=conv, payload__event="conversation.transfer_note")
    assert (note.body, note.is_internal, note.sender_user) == (
        "VIP, wants a refund 退款",
        True,
        agent.user,
    )
    colleague.refresh_from_db()
    assert colleague.active_chats == 1


def test_transfer_to_a_full_agent_is_409_and_changes_nothing(agent_client, agent):
    conv = ConversationFactory(assignee=agent.user, status="open")
    full = AgentProfileFactory(user__username="full", max_concurrent_chats=1, active_chats=1)

    response = post(agent_client, conv, "transfer", {"assignee_id": full.user_id, "note": "x"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "agent_at_capacity"
    conv.refresh_from_db()
    assert (conv.assignee_id, conv.last_seq) == (agent.user_id, 0)
