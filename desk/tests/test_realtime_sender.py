"""Pushes sent from sync code outside a server (a Celery worker, a command) leave on one event
loop per process, so the channel layer's Redis connection is reused rather than made anew for
every push (bench/routing.py: each push through `async_to_sync` cost ~3 ms)."""

import asyncio
import json
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from desk.kernel import push_events, realtime


def _frame(conversation_id: int) -> dict:
    return push_events.frame(
        push_events.CONVERSATION_UPDATE,
        conversation_id=conversation_id,
        conversation={"id": conversation_id},
    )


def test_sync_senders_share_one_loop_and_the_push_arrives():
    async def scenario() -> tuple[list[int], set[int]]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("sender-test", channel)
        loops: set[int] = set()
        original = realtime._send_each

        async def recording(pushes):
            loops.add(id(asyncio.get_running_loop()))
            await original(pushes)

        realtime._send_each = recording
        try:
            # two plain threads, as a worker's task and a command would call it
            for conversation_id in (1, 2):
                await asyncio.to_thread(
                    realtime.send_many, [(["sender-test"], _frame(conversation_id))]
                )
            heard = [json.loads((await layer.receive(channel))["text"]) for _ in range(2)]
        finally:
            realtime._send_each = original
            await layer.group_discard("sender-test", channel)
        return [frame["conversation_id"] for frame in heard], loops

    heard, loops = async_to_sync(scenario)()

    assert heard == [1, 2]  # both arrived, in order
    assert len(loops) == 1  # on the same loop
    sender = realtime._sender_loop()
    assert id(sender) in loops and sender.is_running()
    assert any(t.name == "realtime-sender" and t.daemon for t in threading.enumerate())


def test_a_push_that_cannot_be_sent_in_time_is_given_up_not_waited_on_forever(monkeypatch):
    async def stuck(pushes):
        await asyncio.sleep(5)

    monkeypatch.setattr(realtime, "_send_each", stuck)
    monkeypatch.setattr(realtime, "SEND_TIMEOUT_SECONDS", 0.1)

    realtime.send_many([(["sender-test"], _frame(3))])  # returns after the timeout, no raise
