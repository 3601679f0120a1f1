"""Who reacts to which domain event: the one place handlers are registered (no Django signals).

Each type (from `desk.kernel.domain_events.EVENT_TYPES`) maps to the dotted paths of its handler
functions, `handler(event: domain_events.Event) -> None`. They run after the recording
transaction commits, each in its own transaction with an idempotency marker, in this order; a
failing one is retried with backoff and never stops the others. Loaded through
`settings.DOMAIN_EVENT_HANDLERS`.
"""

HANDLERS: dict[str, list[str]] = {
    "message.created": [
        # first: a chat an agent can take goes to them before anything else looks at it
        "chat.assignment.handlers.message_created_route",
        # then: a keyword ticket made here is the open ticket the offline handler then sees
        "tickets.handlers.message_created_continue_ticket",
        "tickets.handlers.message_created_offline_ticket",
    ],
    "agent.presence_changed": ["chat.assignment.handlers.agent_presence_changed"],
    "conversation.released": ["chat.assignment.handlers.conversation_released"],
    "ticket.created": ["desk.notifications.handlers.ticket_created"],
    "ticket.updated": ["desk.notifications.handlers.ticket_updated"],
    "ticket.comment_added": ["desk.notifications.handlers.ticket_comment_added"],
    "ticket.customer_replied": ["desk.notifications.handlers.ticket_customer_replied"],
    "ticket.sla_warning": ["desk.notifications.handlers.ticket_sla_warning"],
    "ticket.sla_breached": ["desk.notifications.handlers.ticket_sla_breached"],
}
