"""Channel adapters: one module per channel with the same four parts (`base.AdapterShape`:
verify, parse into `chat.inbound.InboundMessage`, send, delivery status).

`web.py` is the web widget's (its socket and REST API go through it); `app.py` the mobile app
backend's webhook and `telegram.py`, `wechat.py`, `whatsapp.py` the messaging providers', whose
HTTP entry is `chat.adapters.views` (docs/channels.md).
"""
