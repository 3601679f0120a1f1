"""Conversation search: every message's terms in a term index (`MessageTerm`, chat/search/terms.py),
written after commit by a `message.created` handler, ranked per conversation within the agent's
scope. docs/architecture.md, "Message and ticket search"."""
