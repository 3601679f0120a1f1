"""The extractive summary of a conversation for a ticket's description (issue 13)."""

import pytest

from chat import services as chat_services
from chat.models import SenderType
from chat.tests.factories import ConversationFactory
from tickets.assist.summary import (
    ExtractiveSummariser,
    Summariser,
    conversation_summary,
    sentences_split,
)


def test_sentences_split_at_chinese_and_english_stops_keeping_them():
    text = "你好。耳机坏了！怎么退货？I ordered a phone. It arrived broken!\n订单号 A1"
    assert sentences_split(text) == [
        "你好。",
        "耳机坏了！",
        "怎么退货？",
        "I ordered a phone.",
        "It arrived broken!",
        "订单号 A1",
    ]
    assert sentences_split("Version 2.5 is out. Great") == ["Version 2.5 is out.", "Great"]


def test_the_central_sentences_in_their_order_without_small_talk():
    summary = ExtractiveSummariser().summarise(
        [
            "你好",
            "在吗？",
            "我上周买的蓝牙耳机左边没有声音了。",
            "订单号是 A12345。",
            "耳机充电也充不进去，换了充电线也一样。",
            "今天天气不错。",
            "请问耳机可以换货吗？",
            "谢谢",
        ],
        max_chars=60,
    )
    assert summary == (
        "我上周买的蓝牙耳机左边没有声音了。耳机充电也充不进去，换了充电线也一样。"
        "请问耳机可以换货吗？"
    )
    assert len(summary) <= 60


def test_english_sentences_are_joined_with_spaces_and_bounded():
    texts = [
        "Hi there.",
        "My invoice for order 1234 has the wrong company name.",
        "The company name on the invoice should be Acme Ltd.",
        "I like your shop.",
        "Please reissue the invoice with the right company name.",
    ]
    summary = ExtractiveSummariser().summarise(texts, max_chars=120)
    assert summary.startswith("My invoice for order 1234 has the wrong company name. ")
    assert "Hi there" not in summary and "I like your shop" not in summary
    assert len(summary) <= 120
    assert len(ExtractiveSummariser().summarise(texts, max_chars=40)) <= 40


def test_nothing_to_say_is_empty_and_one_long_sentence_is_cut():
    assert ExtractiveSummariser().summarise(["你好", "谢谢", "ok"], max_chars=100) == ""
    long = "订单" * 100
    assert ExtractiveSummariser().summarise([long], max_chars=20) == "订单" * 9 + "订…"


@pytest.mark.django_db
def test_conversation_summary_reads_only_the_customers_public_messages():
    conversation = ConversationFactory()
    for sender, body, internal in [
        (SenderType.CUSTOMER, "我要开发票，公司报销用。", False),
        (SenderType.AGENT, "好的，请提供发票抬头和税号。", False),
        (SenderType.AGENT, "内部备注：VIP 客户", True),
        (SenderType.CUSTOMER, "抬头是上海某某科技有限公司，税号 91310000。", False),
    ]:
        chat_services.message_create(
            conversation=conversation, sender_type=sender, body=body, is_internal=internal
        )
    assert conversation_summary(conversation) == (
        "我要开发票，公司报销用。抬头是上海某某科技有限公司，税号 91310000。"
    )

    class Upper:
        def summarise(self, texts: list[str], *, max_chars: int) -> str:
            return " | ".join(texts)[:max_chars]

    other: Summariser = Upper()
    assert conversation_summary(conversation, summariser=other, max_chars=8) == "我要开发票，公司"
    assert conversation_summary(ConversationFactory()) == ""
