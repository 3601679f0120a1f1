"""Ticket search: a ticket's subject, description, replies and notes in a full-text index
(desk.kernel.search), rebuilt after commit by the ticket events' handler, ranked within the
agent's scope. docs/architecture.md, "Message and ticket search"."""
