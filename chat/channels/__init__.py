"""Messaging-provider channels (Telegram now; WeChat and WhatsApp on the same frame, issue 14).

- `models.py`: `ChannelAccount` (one bot / official account / number, its secrets encrypted),
  `InboundEvent` (every webhook request stored raw before it is processed), `OutboundDelivery`
  (an agent's reply on its way to the provider: attempts, next try, the reason it failed).
- `secret_box.py`: the Fernet keys of the secrets.
- `inbound.py`: store the raw event (the webhook's only write), process it after commit, and the
  sweep that processes what a crash left behind.
- `outbound.py`: the reply's delivery: queued after commit, sent by a task, retried with backoff,
  failed with its reason; an agent's retry.
- `registry.py`: channel → its provider adapter (`chat/adapters/<name>.py`).
- `tasks.py`, `admin.py`, `api.py`: the Celery, admin and workspace doors.

The flow and the recipe for a new channel: docs/channels.md.
"""
