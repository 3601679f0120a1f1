"""Who reacts to which domain event: the one place handlers are registered (no Django signals).

Each type (from `desk.kernel.domain_events.EVENT_TYPES`) maps to the dotted paths of its handler
functions, `handler(event: domain_events.Event) -> None`. They run after the recording
transaction commits, each in its own transaction with an idempotency marker, in this order; a
failing one is retried with backoff and never stops the others. Loaded through
`settings.DOMAIN_EVENT_HANDLERS`.

The automation rules (`tickets.automation.handlers.ticket_event_rules`) run last on each ticket
event they may trigger; the changes they make record events of their own, which name the chain
of rules that caused them so no rule runs twice in it.
"""

RULES = "tickets.automation.handlers.ticket_event_rules"
# the ticket's search document is rebuilt from the ticket as it is after the others ran
TICKET_SEARCH = "tickets.search.index.ticket_changed_index"

HANDLERS: dict[str, list[str]] = {
    "message.created": [
        # first: a chat an agent can take goes to them before anything else looks at it
        "chat.assignment.handlers.message_created_route",
        # then: a keyword ticket made here is the open ticket the offline handler then sees
        "tickets.handlers.message_created_continue_ticket",
        "tickets.handlers.message_created_offline_ticket",
        "tickets.handlers.message_created_conversation_sla",
        # the detected category and urgent / angry flags the inbox shows (routing's rules above
        # already ran the same classifier on the first message: it is cached)
        "tickets.assist.handlers.message_created_assist",
        # an agent's reply in a provider's conversation (Telegram …) goes out to the provider
        "chat.channels.outbound.message_created_send",
        # the message's row in the search index (chat/search)
        "chat.search.index.message_created_index",
    ],
    "agent.presence_changed": ["chat.assignment.handlers.agent_presence_changed"],
    "conversation.released": ["chat.assignment.handlers.conversation_released"],
    "ticket.created": [
        "desk.notifications.handlers.ticket_created",
        # routing rules give a ticket nobody has its team and assignee, before automation runs
        "tickets.routing.ticket_created_route",
        RULES,
        TICKET_SEARCH,
    ],
    "ticket.updated": ["desk.notifications.handlers.ticket_updated", RULES, TICKET_SEARCH],
    "ticket.comment_added": ["desk.notifications.handlers.ticket_comment_added", TICKET_SEARCH],
    "ticket.customer_replied": [
        "desk.notifications.handlers.ticket_customer_replied",
        RULES,
        TICKET_SEARCH,
    ],
    "ticket.sla_warning": ["desk.notifications.handlers.ticket_sla_warning", RULES],
    "ticket.sla_breached": ["desk.notifications.handlers.ticket_sla_breached", RULES],
    "ticket.automation_notice": ["desk.notifications.handlers.ticket_automation_notice"],
    "conversation.sla_warning": ["desk.notifications.handlers.conversation_sla_warning"],
    "conversation.sla_breached": ["desk.notifications.handlers.conversation_sla_breached"],
}
