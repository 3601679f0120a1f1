"""Each provider channel's adapter (`chat/adapters/<name>.py`): one line per channel. Only the
providers: their replies go out through `OutboundDelivery` (chat/channels/outbound.py), which
the web widget's (a realtime push) and the app's (none) never do."""

from chat.adapters.provider import ProviderAdapter
from chat.adapters.telegram import TelegramAdapter
from chat.adapters.wechat import WechatAdapter
from chat.adapters.whatsapp import WhatsappAdapter

ADAPTERS: dict[str, ProviderAdapter] = {
    TelegramAdapter.channel: TelegramAdapter(),
    WechatAdapter.channel: WechatAdapter(),
    WhatsappAdapter.channel: WhatsappAdapter(),
}


def adapter_for(channel: str) -> ProviderAdapter:
    return ADAPTERS[channel]
