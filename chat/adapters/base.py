"""The shape every channel adapter has, and the typed refusals it raises.

Every channel is one module `chat/adapters/<channel>.py` whose adapter is an `AdapterShape`: the
same four parts (issue 14), each taking what its transport brings, plus `channel`,
`identity_kind` and `outbound`:

- `verify`: proves who is calling (a signature, a shared token, a visitor token) or raises a
  `WebhookRejected`; nothing unverified is read;
- `parse`: the verified input as the common envelope, `chat.inbound.InboundMessage`;
- `send`: one reply out to the customer, the way `outbound` says (`None`: the channel has none);
- `delivery_status`: what the channel reports about a message's delivery (`None`: nothing).

Three families share it: `ChannelAdapter` below (a webhook stored in the request: the app
channel, `chat/adapters/app.py`), `chat.adapters.provider.ProviderAdapter` (messaging providers
per channel account: Telegram, WeChat, WhatsApp) and the web widget (`chat/adapters/web.py`, its
socket and REST API). docs/channels.md has the table of the four parts per channel.

A `ChannelAdapter` (`chat/adapters/app.py` is the model to copy) has:

- `verify(request)`: raises a `WebhookRejected` (the channel is not configured, the signature is
  missing, wrong or too old) and reads nothing it has not verified;
- `parse(request)`: the verified body as a list of `chat.inbound.InboundMessage` (a provider may
  batch), or `InvalidJson` / `InvalidPayload`: nothing is stored unless every message is valid;
- `ack_response(results)`: what the provider wants back once the messages are stored (the default
  is 200 JSON naming each stored message; WeChat wants `success`, Telegram any 200).

`chat.adapters.views.ChannelWebhookView` runs them in that order and stores each message through
`chat.inbound.inbound_message_receive`; a refusal is a `desk.kernel.errors.DomainError`, answered in
the API's error shape like any other (docs/channels.md).
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chat.inbound import InboundMessage
from chat.services import MessageResult
from desk.kernel.errors import DomainError, ErrorAnswer, invalid_fields


class WebhookRejected(DomainError):
    """A request the adapter refuses, answered from `desk.kernel.errors` like every domain
    error: `status`, an English `code`, a message in the caller's language. Nothing is stored."""

    status = 400
    code = "bad_request"
    default_message: ClassVar[Promise | str] = _("The request could not be read.")

    def __init__(self, message: Promise | str | None = None):
        super().__init__(str(message if message is not None else self.default_message))


class ChannelDisabled(WebhookRejected):
    status = 503
    code = "channel_disabled"
    default_message = _("This channel is not configured on this server.")


class SignatureMissing(WebhookRejected):
    status = 401
    code = "signature_missing"
    default_message = _("The request has no signature or no timestamp.")


class SignatureInvalid(WebhookRejected):
    status = 401
    code = "signature_invalid"
    default_message = _("The request's signature is not valid.")


class SignatureExpired(WebhookRejected):
    status = 401
    code = "signature_expired"
    default_message = _("The request's timestamp is too far from the server's time.")


class InvalidJson(WebhookRejected):
    code = "invalid_json"
    default_message = _("The request body is not valid JSON (or nests too deeply).")


class InvalidPayload(WebhookRejected):
    """Fields that do not validate: `fields` maps each to its errors (the API's `invalid`
    answer with `fields`)."""

    code = "invalid"
    default_message = _("The request has invalid fields.")

    def __init__(self, fields: Mapping[str, Any]):
        super().__init__()
        self.fields = dict(fields)

    def answer(self) -> ErrorAnswer:
        return invalid_fields(self.fields, self.status)


class Outbound(StrEnum):
    """How an agent's reply reaches the customer on a channel."""

    PROVIDER = "provider"  # an `OutboundDelivery` row, sent by a task (chat/channels/outbound.py)
    PUSH = "push"  # the realtime push after commit is the send (the widget's sockets)
    NONE = "none"  # nothing goes out (the app backend shows the conversation itself)


ADAPTER_PARTS = ("verify", "parse", "send", "delivery_status")


class AdapterShape(ABC):
    """The four parts of every channel adapter (`ADAPTER_PARTS`; the module docstring). Each
    family's arguments are its transport's, so the parts are named here, not typed: a subclass
    that lacks one cannot be made, and one whose channel has no such part sets it to `None`
    (chat/tests/test_adapter_shape.py checks every adapter module)."""

    channel: ClassVar[str]
    identity_kind: ClassVar[str]
    outbound: ClassVar[Outbound]

    @abstractmethod
    def verify(self, *args: Any, **kwargs: Any) -> Any:
        """Prove who is calling, or raise a `WebhookRejected`."""

    @abstractmethod
    def parse(self, *args: Any, **kwargs: Any) -> Any:
        """The verified input as `InboundMessage` envelopes."""

    @abstractmethod
    def send(self, *args: Any, **kwargs: Any) -> Any:
        """One reply out to the customer (how: `outbound`)."""

    @abstractmethod
    def delivery_status(self, *args: Any, **kwargs: Any) -> Any:
        """What the channel reports about a message's delivery."""


class ChannelAdapter(AdapterShape):
    """A webhook whose messages are stored in the request (the app channel)."""

    @abstractmethod
    def verify(self, request: HttpRequest) -> None:
        """Raise a `WebhookRejected` unless the request provably comes from the provider."""

    @abstractmethod
    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        """The verified request's messages; `InvalidJson` / `InvalidPayload` otherwise."""

    def ack_response(self, results: Sequence[MessageResult]) -> HttpResponse:
        """200 with each message's place: the same answer for a redelivery."""
        return JsonResponse(
            {
                "messages": [
                    {
                        "id": result.message.provider_message_id,
                        "conversation_id": result.message.conversation_id,
                        "seq": result.message.seq,
                    }
                    for result in results
                ]
            }
        )
