"""The shared rate limiter (desk/kernel/ratelimit.py) and the agent socket's limits.

Limits live in Redis, so they hold across sockets and server processes; each test has keys of its
own (conftest `_own_rate_limits`).
"""

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings

from chat.models import Message
from chat.tests.factories import ConversationFactory
from desk.kernel import ratelimit
from desk.tests.test_agent_socket import (
    TIMEOUT,
    drain,
    open_agent_socket,
    open_socket,
    run,
    session_headers,
)


@pytest.fixture
def small(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "message.visitor": (3, 60)}
    return settings


def test_allows_up_to_the_limit_then_says_how_long_to_wait(small):
    verdicts = [ratelimit.hit(("message.visitor", 7)) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 59 <= verdicts[-1].retry_after <= 60
    assert ratelimit.hit(("message.visitor", 8)).allowed  # another subject counts apart
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.enforce(("message.visitor", 7))
    assert refused.value.retry_after >= 59


def test_a_refused_check_counts_in_none_of_its_limits(small):
    small.RATE_LIMITS = {**small.RATE_LIMITS, "upload.visitor": (1, 60)}
    assert ratelimit.hit(("upload.visitor", 1), ("message.visitor", 1)).allowed
    # upload is spent: the pair is refused, and the message limit is not charged for it
    for _ in range(3):
        assert not ratelimit.hit(("upload.visitor", 1), ("message.visitor", 1)).allowed
    assert [ratelimit.hit(("message.visitor", 1)).allowed for _ in range(3)] == [True, True, False]


def test_an_unknown_subject_or_a_limit_turned_off_is_not_checked(small):
    small.RATE_LIMITS = {**small.RATE_LIMITS, "upload.visitor": (0, 60)}
    assert all(ratelimit.hit(("message.visitor", None)).allowed for _ in range(5))
    assert all(ratelimit.hit(("upload.visitor", 1)).allowed for _ in range(5))


def test_the_async_entry_point_shares_the_same_counts(small):
    async def scenario():
        return [(await ratelimit.ahit(("message.visitor", 3))).allowed for _ in range(2)]

    assert ratelimit.hit(("message.visitor", 3)).allowed
    assert asyncio.run(scenario()) == [True, True]
    assert not ratelimit.hit(("message.visitor", 3)).allowed


def test_redis_down_lets_everything_through(small):
    small.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert all(ratelimit.hit(("message.visitor", 1)).allowed for _ in range(5))


def test_the_limit_holds_across_two_processes(settings):
    """Two server processes, each with its own Redis client: they share one count. The other
    process reads its limit from the environment, as a deployed one does."""
    prefix = f"{settings.REDIS_PREFIX}-xproc-{uuid.uuid4().hex[:8]}"
    settings.RATE_LIMIT_PREFIX = f"{prefix}:rl"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "message.agent": (3, 60)}
    assert ratelimit.hit(("message.agent", 42)).allowed
    assert ratelimit.hit(("message.agent", 42)).allowed

    script = (
        "import django; django.setup()\n"
        "from desk.kernel import ratelimit\n"
        "print([ratelimit.hit(('message.agent', 42)).allowed for _ in range(2)])\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "desk.settings",
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_PREFIX": prefix,
        "RATE_AGENT_MESSAGES": "3/60",
        "UNIDESK_NO_BOOTSTRAP": "1",
    }
    other = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert other.stdout.strip().splitlines()[-1] == "[True, False]"
    assert not ratelimit.hit(("message.agent", 42)).allowed


# ---- the agent socket -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("own_channel_prefix")
def test_an_agents_message_limit_holds_across_their_sockets(client, agent, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "message.agent": (3, 60)}
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)

    async def scenario():
        first, _ = await open_agent_socket(headers)
        second, _ = await open_agent_socket(headers)
        answers = []
        for n, socket in enumerate([first, second, first, second]):
            frame = {"type": "message.send", "conversation_id": conv.pk, "ref": n}
            await socket.send_json_to({**frame, "client_msg_id": f"m{n}", "body": "x"})
            answers += [f for f in await drain(socket) if f["type"] in ("ack", "error")]
        await first.disconnect()
        await second.disconnect()
        return answers

    answers = run(scenario)
    assert [f["type"] for f in answers] == ["ack", "ack", "ack", "error"]
    assert (answers[-1]["code"], answers[-1]["ref"]) == ("rate_limited", 3)
    assert 1 <= answers[-1]["retry_after"] <= 60
    assert Message.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("own_channel_prefix")
def test_an_agent_opens_at_most_the_cap_of_sockets(client, agent, settings):
    settings.SOCKET_CAPS = {**settings.SOCKET_CAPS, "agent": 2}
    headers = session_headers(client, agent.user)

    async def scenario():
        first, _ = await open_agent_socket(headers)
        second, _ = await open_agent_socket(headers)
        third, connected, _ = await open_socket(headers)
        assert connected
        error = await third.receive_json_from(timeout=TIMEOUT)
        closed = await third.receive_output(timeout=TIMEOUT)
        await first.disconnect()
        again, _ = await open_agent_socket(headers)  # a freed slot serves the next tab
        await second.disconnect()
        await again.disconnect()
        return error, closed

    error, closed = run(scenario)
    assert (error["type"], error["code"]) == ("error", "too_many_sockets")
    assert (closed["type"], closed["code"]) == ("websocket.close", ratelimit.CLOSE_TOO_MANY_SOCKETS)
