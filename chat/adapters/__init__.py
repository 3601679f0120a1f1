"""Channel adapters: one module per channel with the same shape (`base.ChannelAdapter`).

An adapter verifies a provider's request and normalises it into `chat.inbound.InboundMessage`s;
`chat.adapters.views.ChannelWebhookView` is the one HTTP entry for all of them (docs/channels.md).
"""
