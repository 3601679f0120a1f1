"""Supervisor and agent edits of a conversation leave an activity message as the audit row."""

import pytest

from chat import services
from chat.models import ContentType, ConversationStatus, Message, SenderType
from chat.tests.factories import AttachmentFactory, ConversationFactory
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_each_change_writes_one_internal_activity_message(agent):
    conversation = ConversationFactory()
    team = TeamFactory(name="Support")

    updated = services.conversation_update_fields(
        actor=agent.user,
        conversation=conversation,
        changes={"assignee": agent.user, "team": team, "priority": conversation.priority},
    )

    assert (updated.assignee, updated.team, updated.last_seq) == (agent.user, team, 2)
    events = list(Message.objects.filter(conversation=conversation).order_by("seq"))
    assert [(m.seq, m.payload) for m in events] == [
        (1, {"event": "conversation.assignee", "old": "", "new": agent.user.username}),
        (2, {"event": "conversation.team", "old": "", "new": "Support"}),
    ]
    assert all(m.sender_type == SenderType.SYSTEM and m.is_internal for m in events)
    assert all(m.content_type == ContentType.EVENT and m.sender_user == agent.user for m in events)
    assert updated.unread_by_customer == 0 and updated.last_message_at is None


def test_closing_stamps_closed_at_and_reopening_clears_it(agent):
    conversation = ConversationFactory(status=ConversationStatus.OPEN)
    closed = services.conversation_update_fields(
        actor=agent.user, conversation=conversation, changes={"status": "closed"}
    )
    assert closed.closed_at is not None
    reopened = services.conversation_update_fields(
        actor=agent.user, conversation=conversation, changes={"status": "open"}
    )
    assert reopened.closed_at is None
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_no_change_writes_nothing_and_unknown_fields_are_refused(agent):
    conversation = ConversationFactory()
    services.conversation_update_fields(
        actor=agent.user, conversation=conversation, changes={"status": conversation.status}
    )
    assert not Message.objects.exists()
    with pytest.raises(ValueError, match="not editable"):
        services.conversation_update_fields(
            actor=agent.user, conversation=conversation, changes={"last_seq": 99}
        )
    conversation.refresh_from_db()
    assert conversation.last_seq == 0


def test_admin_change_goes_through_the_service(supervisor_client, supervisor):
    conversation = ConversationFactory(status=ConversationStatus.OPEN)
    page = supervisor_client.get(f"/admin/chat/conversation/{conversation.pk}/change/")
    assert page.status_code == 200
    response = supervisor_client.post(
        f"/admin/chat/conversation/{conversation.pk}/change/",
        {"status": "closed", "assignee": "", "team": "", "priority": conversation.priority},
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.closed_at is not None
    event = Message.objects.get(conversation=conversation)
    assert event.payload == {"event": "conversation.status", "old": "open", "new": "closed"}
    assert event.sender_user == supervisor.user


@pytest.mark.django_db(transaction=True)
def test_deleting_an_attachment_removes_its_file():
    attachment = AttachmentFactory()
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    services.attachment_delete(attachment=attachment)
    assert not storage.exists(name)
