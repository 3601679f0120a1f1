"""Conversation search: every message's text in a full-text index (desk.kernel.search), kept
after commit by a `message.created` handler, ranked per conversation within the agent's scope.
docs/architecture.md, "Message and ticket search"."""
