"""The supervisors' Live view hint: `routing.changed {changes}` on the `supervisors` group.

Published (after commit, through `desk.kernel.realtime`) where the change already happens: a
presence change (routing.services), a conversation queued (chat.assignment.services), assigned,
released, transferred or closed (chat.services). It carries no data, only what kind of thing
changed, so it costs no statement: the page reads `GET /api/v1/routing/live/` again on it
(debounced), and every 15 s anyway, since a push may be lost (docs/protocol.md).
"""

from desk.kernel import push_events, realtime

PRESENCE = "presence"  # an agent's presence
QUEUE = "queue"  # a conversation joined or left the waiting queue, or moved in it
LOAD = "load"  # an agent's open conversations (active_chats) changed
CHANGES = (PRESENCE, QUEUE, LOAD)


def routing_changed_push(*changes: str) -> tuple[list[str], dict] | None:
    """The hint's groups and frame (for `realtime.publish_many`), or None when nothing listed
    concerns the Live view."""
    kinds = [kind for kind in CHANGES if kind in changes]
    if not kinds:
        return None
    return (
        [realtime.supervisors_group()],
        push_events.frame(push_events.ROUTING_CHANGED, changes=kinds),
    )


def routing_changed_publish(*changes: str) -> None:
    """Tell the supervisors' tabs, after commit, that the Live view is stale."""
    push = routing_changed_push(*changes)
    if push is not None:
        realtime.publish(*push)
