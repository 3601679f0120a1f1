"""message_create stores each message once with the next seq; identities map to one customer."""

import pytest
from django.utils import timezone

from chat.models import Customer, CustomerIdentity, Message
from chat.services import (
    ConversationContext,
    CustomerData,
    IdentityRef,
    conversation_start,
    customer_get_or_create_for_identity,
    message_create,
)
from chat.tests.factories import ConversationFactory, CustomerFactory


def _send(conversation, **kwargs):
    kwargs.setdefault("sender_type", "customer")
    kwargs.setdefault("body", "hello")
    return message_create(conversation=conversation, **kwargs)


@pytest.mark.django_db
def test_messages_get_seq_one_two_three():
    conversation = ConversationFactory()

    seqs = [_send(conversation, body=f"m{i}").message.seq for i in range(3)]

    assert seqs == [1, 2, 3]
    conversation.refresh_from_db()
    assert conversation.last_seq == 3
    assert list(conversation.messages.values_list("seq", "body")) == [
        (1, "m0"),
        (2, "m1"),
        (3, "m2"),
    ]


@pytest.mark.django_db
def test_seq_counts_per_conversation():
    first, second = ConversationFactory(), ConversationFactory()
    _send(first)
    _send(first)

    assert _send(second).message.seq == 1


@pytest.mark.django_db
def test_resend_with_same_client_msg_id_returns_the_first_message():
    conversation = ConversationFactory()
    original = _send(conversation, body="first", client_msg_id="c-1")

    resend = _send(conversation, body="first again", client_msg_id="c-1")
    after = _send(conversation, body="next", client_msg_id="c-2")

    assert (original.created, resend.created) == (True, False)
    assert resend.message.pk == original.message.pk
    assert resend.message.body == "first"
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert after.message.seq == 2
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.unread_by_agent) == (2, 2)


@pytest.mark.django_db
def test_provider_retry_with_same_message_id_is_dropped():
    conversation = ConversationFactory(channel="whatsapp")
    original = _send(conversation, provider_message_id="wamid.ABC")

    retry = _send(conversation, provider_message_id="wamid.ABC")
    after = _send(conversation, provider_message_id="wamid.DEF")

    assert (original.created, retry.created, after.created) == (True, False, True)
    assert retry.message.pk == original.message.pk
    assert Message.objects.count() == 2
    assert after.message.seq == 2


@pytest.mark.django_db
def test_customer_message_bumps_unread_by_agent_and_last_message_at():
    conversation = ConversationFactory()
    before = timezone.now()

    _send(conversation)
    _send(conversation)

    conversation.refresh_from_db()
    assert (conversation.unread_by_agent, conversation.unread_by_customer) == (2, 0)
    assert conversation.last_message_at >= before


@pytest.mark.django_db
def test_agent_reply_bumps_unread_by_customer(agent):
    conversation = ConversationFactory()

    _send(conversation, sender_type="agent", sender_user=agent.user)

    conversation.refresh_from_db()
    assert (conversation.unread_by_agent, conversation.unread_by_customer) == (0, 1)
    assert conversation.last_message_at is not None


@pytest.mark.django_db
def test_internal_note_takes_a_seq_but_bumps_no_unread_counter(agent):
    conversation = ConversationFactory()

    note = _send(conversation, sender_type="agent", sender_user=agent.user, is_internal=True)

    conversation.refresh_from_db()
    assert note.message.seq == 1
    assert conversation.last_seq == 1
    assert (conversation.unread_by_agent, conversation.unread_by_customer) == (0, 0)
    assert conversation.last_message_at is None


@pytest.mark.django_db
def test_same_identity_always_reaches_the_same_customer():
    identity = IdentityRef(kind="telegram", external_id="123456")

    first, created_first = customer_get_or_create_for_identity(
        identity=identity, data=CustomerData(display_name="Ivan", language="en")
    )
    again, created_again = customer_get_or_create_for_identity(identity=identity)

    assert (created_first, created_again) == (True, False)
    assert again == first
    assert (first.display_name, first.language) == ("Ivan", "en")
    assert Customer.objects.count() == 1
    assert CustomerIdentity.objects.get().customer == first


@pytest.mark.django_db
def test_another_identity_is_another_customer():
    first, _ = customer_get_or_create_for_identity(
        identity=IdentityRef(kind="email", external_id="a@example.com")
    )
    second, created = customer_get_or_create_for_identity(
        identity=IdentityRef(kind="email", external_id="b@example.com")
    )

    assert created is True
    assert second != first


@pytest.mark.django_db
def test_conversation_start_records_the_context_and_waits():
    customer = CustomerFactory()

    conversation = conversation_start(
        customer=customer,
        channel="app",
        context=ConversationContext(device="iPhone 15", os="iOS 18", app_version="3.2.1"),
    )

    assert (conversation.status, conversation.channel, conversation.last_seq) == (
        "waiting",
        "app",
        0,
    )
    assert (conversation.device, conversation.os, conversation.app_version) == (
        "iPhone 15",
        "iOS 18",
        "3.2.1",
    )


@pytest.mark.django_db
def test_conversation_start_rejects_an_unknown_channel():
    with pytest.raises(ValueError, match="unknown channel"):
        conversation_start(customer=CustomerFactory(), channel="fax")
