"""Every channel adapter module has the same four parts (issue 14; chat/adapters/base.py):
verify, parse, send, delivery status, with its channel, identity kind and outbound way."""

import importlib
import inspect
import pkgutil

import chat.adapters
from chat.adapters.base import ADAPTER_PARTS, AdapterShape, Outbound
from chat.channels.registry import ADAPTERS
from chat.models import Channel, IdentityKind

# Modules of chat/adapters/ that are not a channel's adapter.
NOT_ADAPTERS = {"base", "provider", "views", "urls", "wechat_crypto"}


def adapter_modules() -> dict[str, list[type[AdapterShape]]]:
    """Each adapter module's name → the concrete adapter classes it defines."""
    found = {}
    for info in pkgutil.iter_modules(chat.adapters.__path__):
        if info.name in NOT_ADAPTERS:
            continue
        module = importlib.import_module(f"chat.adapters.{info.name}")
        found[info.name] = [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, AdapterShape)
            and value.__module__ == module.__name__
            and not inspect.isabstract(value)
        ]
    return found


def test_every_adapter_module_is_one_channels_adapter():
    modules = adapter_modules()

    assert set(modules) == {"app", "telegram", "web", "wechat", "whatsapp"}
    assert {name: len(classes) for name, classes in modules.items()} == dict.fromkeys(modules, 1)
    assert {classes[0].channel for classes in modules.values()} == {
        Channel.WEB,
        Channel.APP,
        Channel.TELEGRAM,
        Channel.WECHAT,
        Channel.WHATSAPP,
    }


def test_every_adapter_has_the_four_parts():
    for name, (adapter,) in adapter_modules().items():
        assert adapter.channel == name, name
        assert adapter.identity_kind in IdentityKind.values, name
        assert isinstance(adapter.outbound, Outbound), name
        adapter()  # none of the parts is left abstract
        for part in ADAPTER_PARTS:
            value = getattr(adapter, part)
            # None: the channel has no such part (the app sends nothing and reports nothing)
            assert value is None or callable(value), (name, part)
        assert (adapter.send is None) == (adapter.outbound == Outbound.NONE), name
        assert callable(adapter.verify) and callable(adapter.parse), name


def test_only_the_providers_replies_go_through_outbound_deliveries():
    by_channel = {classes[0].channel: classes[0] for classes in adapter_modules().values()}

    sending = {channel for channel, a in by_channel.items() if a.outbound == Outbound.PROVIDER}
    assert sending == set(ADAPTERS) == {Channel.TELEGRAM, Channel.WECHAT, Channel.WHATSAPP}
    assert by_channel[Channel.WEB].outbound == Outbound.PUSH
    assert by_channel[Channel.APP].outbound == Outbound.NONE
