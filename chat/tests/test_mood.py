"""Urgent and angry customers from what they wrote (chat/mood.py, issue 13), in Chinese and
English, with the cheap negations."""

import pytest

from chat.mood import Mood, moods_merge, text_mood


@pytest.mark.parametrize(
    ("text", "urgent", "angry", "words"),
    [
        # Chinese
        ("我要投诉你们", False, True, ["投诉"]),
        ("服务太差了", False, True, ["太差"]),
        ("你们就是骗子", False, True, ["骗子"]),
        ("再不处理我就打12315", False, True, ["12315"]),
        ("请立刻处理", True, False, ["立刻"]),
        ("马上给我退款", True, True, ["马上", "退款"]),
        ("很紧急，今天必须发货", True, False, ["紧急"]),
        ("急急急", True, False, ["急急", "急"]),
        ("对你们非常不满", False, True, ["不满"]),
        # negation and calm words
        ("不急，慢慢来", False, False, []),
        ("我不着急", False, False, []),
        ("别着急，明天也行", False, False, []),
        ("质量不太差", False, False, []),
        ("也不是很急", False, False, []),
        ("我没有投诉的意思", False, False, []),
        ("不行，马上处理", True, False, ["马上"]),  # the stop ends the negation's reach
        ("我要退款", False, False, []),  # a plain request
        ("你好，发票什么时候开好", False, False, []),
        # English
        ("This is unacceptable", False, True, ["unacceptable"]),
        ("Refund now or I call my lawyer", False, True, ["refund now", "lawyer"]),
        ("Please fix it ASAP", True, False, ["asap"]),
        ("I need this right now, it's an emergency", True, False, ["right now", "emergency"]),
        ("Where is my order!!!", False, True, ["!!!"]),
        ("WHY IS MY ORDER STILL NOT HERE", False, True, ["ALL CAPS"]),
        ("My VIP order from the USA", False, False, []),  # a short acronym is not shouting
        ("It is not urgent, no rush", False, False, []),
        ("no scam here, just a question about the issue", False, False, []),
        ("Thanks!", False, False, []),
        ("", False, False, []),
    ],
)
def test_mood_table(text, urgent, angry, words):
    mood = text_mood(text)
    assert (mood.urgent, mood.angry, mood.words) == (urgent, angry, words)
    assert mood.upset == (urgent or angry)


def test_words_are_merged_once_in_order():
    assert moods_merge(["投诉"], Mood(angry=True, words=["!!!", "投诉"])) == ["投诉", "!!!"]
