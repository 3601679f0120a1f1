"""The database's own guarantees: one identity per channel id, one row per client or provider id."""

import pytest
from django.db import IntegrityError, transaction

from chat.models import Message
from chat.tests.factories import ConversationFactory, CustomerIdentityFactory, MessageFactory


@pytest.mark.django_db
def test_identity_is_unique_per_kind_and_external_id():
    CustomerIdentityFactory(kind="wechat_openid", external_id="o-123")

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerIdentityFactory(kind="wechat_openid", external_id="o-123")


@pytest.mark.django_db
def test_same_external_id_under_another_kind_is_another_identity():
    first = CustomerIdentityFactory(kind="phone", external_id="+8613800000000")
    second = CustomerIdentityFactory(kind="whatsapp", external_id="+8613800000000")

    assert first.customer != second.customer


@pytest.mark.django_db
def test_client_msg_id_is_unique_per_conversation():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, client_msg_id="c-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory(conversation=conversation, client_msg_id="c-1")


@pytest.mark.django_db
def test_same_client_msg_id_in_two_conversations_is_fine():
    MessageFactory(client_msg_id="c-1")
    MessageFactory(client_msg_id="c-1")

    assert Message.objects.filter(client_msg_id="c-1").count() == 2


@pytest.mark.django_db
def test_empty_client_msg_id_may_repeat():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, client_msg_id="")
    MessageFactory(conversation=conversation, client_msg_id="")

    assert conversation.messages.filter(client_msg_id="").count() == 2


@pytest.mark.django_db
def test_provider_message_id_is_unique_per_channel():
    MessageFactory(conversation__channel="whatsapp", provider_message_id="wamid.1")

    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory(conversation__channel="whatsapp", provider_message_id="wamid.1")


@pytest.mark.django_db
def test_provider_message_id_may_repeat_across_channels_and_when_empty():
    MessageFactory(conversation__channel="telegram", provider_message_id="42")
    MessageFactory(conversation__channel="wechat", provider_message_id="42")
    MessageFactory(conversation__channel="web", provider_message_id="")
    MessageFactory(conversation__channel="web", provider_message_id="")

    assert Message.objects.count() == 4


@pytest.mark.django_db
def test_seq_is_unique_per_conversation():
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, seq=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory(conversation=conversation, seq=1)
