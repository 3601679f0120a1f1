"""The shape of a messaging provider's adapter (Telegram, WeChat, WhatsApp): the four parts of
`chat.adapters.base.AdapterShape` per channel account, and the admin's checks.

The four parts: `verify(request, account)`; `parse(account, body)` (= `parse_event`, from the
stored raw event); `send(account, message, recipient)`, run by chat/channels/outbound.py for a
reply's `OutboundDelivery` (`outbound` PROVIDER); `delivery_status(...)`, a receipt the provider
reports (WhatsApp's `statuses`: chat/channels/receipts.py). Telegram and WeChat report none: a
reply's state there is its send's outcome, `sent` or `failed`.

A provider adapter (`chat/adapters/telegram.py` is the model to copy) has:

- `channel`, `identity_kind`: the `chat.models.Channel` and `IdentityKind` of its customers;
- `kept_headers`: the request headers worth keeping with the raw event (never secrets);
- `verify(request, account)`: the provider's signature or shared token, compared in constant time,
  before the body is read as data; raises a `WebhookRejected` (nothing is stored);
- `event_id(body)`: the checked JSON body's event id, the dedupe key of the raw event (Telegram's
  `update_id`, WeChat's `MsgId`, WhatsApp's `wamid`); raises `InvalidPayload` for a body that is
  not the provider's shape (400, nothing stored);
- `parse_event(account, body)`: later, in a task, the stored event as `InboundMessage`s (media
  downloaded through `desk.kernel.http`); an update the desk does not show gives `[]`;
- `ack_response(request, account, body)`: what the provider wants to hear once the raw event is
  stored (WeChat: `success`, or a passive reply);
- `send(account, message, recipient)`: one reply out; the provider's message id, or `SendFailed`
  saying whether trying again may help;
- `check_connection(account)` and `register_webhook(account, url)`: the admin's actions; they
  raise `ConnectionProblem` with the reason in plain words.
"""

from abc import abstractmethod
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext_lazy as _

from chat.adapters.base import AdapterShape, InvalidJson, Outbound
from chat.channels.models import ChannelAccount
from chat.inbound import InboundMessage
from chat.models import Message
from desk.kernel import json_input

# What a failed reply's `payload.delivery_error.code` means, in the agent's language (the
# workspace shows it with the provider's own `reason`).
FAILURE_LABELS = {
    "unauthorized": _("the channel's token was refused"),
    "forbidden": _("the customer has blocked the bot or never started it"),
    "bad_request": _("the provider refused the message"),
    "rate_limited": _("the provider asked to slow down"),
    "provider_error": _("the provider failed"),
    "timeout": _("the provider did not answer in time"),
    "unreachable": _("the provider cannot be reached"),
    "tls": _("the secure connection failed"),
    "blocked": _("the provider's address is not allowed"),
    "too_large": _("the provider's answer was too large"),
    "no_recipient": _("the customer has no address on this channel"),
    "account_inactive": _("the channel account is switched off"),
    "reply_window_closed": _("the provider's reply window is over"),
}


class SendFailed(Exception):
    """A reply the provider did not take: `code` for programs, `reason` for the agent (shown in
    the timeline), `retryable` when trying again later may work (`retry_after` seconds, when the
    provider said)."""

    def __init__(
        self, code: str, reason: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class ConnectionProblem(Exception):
    """What is wrong between the desk and the provider, in the admin's language."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


class ProviderAdapter(AdapterShape):
    channel: ClassVar[str]
    identity_kind: ClassVar[str]
    outbound = Outbound.PROVIDER
    kept_headers: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def verify(self, request: HttpRequest, account: ChannelAccount) -> None: ...

    @abstractmethod
    def event_id(self, body: Any) -> str: ...

    @abstractmethod
    def parse_event(
        self, account: ChannelAccount, body: dict[str, Any]
    ) -> list[InboundMessage]: ...

    def parse(self, account: ChannelAccount, body: dict[str, Any]) -> list[InboundMessage]:
        """The parse part: the stored raw event as envelopes (`parse_event`)."""
        return self.parse_event(account, body)

    def delivery_status(
        self, *, provider_message_id: str, state: str, code: str = "", reason: str = ""
    ) -> Message | None:
        """The provider's report on a reply it took: the reply's `delivery_state` moves forward
        only (chat/channels/receipts.py; None while no reply has the id yet, the report is
        kept for it)."""
        from chat.channels.receipts import delivery_receipt_apply

        return delivery_receipt_apply(
            channel=self.channel,
            provider_message_id=provider_message_id,
            state=state,
            code=code,
            reason=reason,
        )

    def decode_body(self, request: HttpRequest, account: ChannelAccount) -> Any:
        """The verified body as data to store (JSON here; WeChat reads and decrypts XML)."""
        try:
            return json_input.json_loads(request.body)
        except json_input.InvalidJson as exc:
            raise InvalidJson() from exc

    def challenge(self, request: HttpRequest, account: ChannelAccount) -> HttpResponse:
        """A provider's `GET` check of the webhook URL (WeChat's echostr, WhatsApp's
        hub.challenge); none by default."""
        return HttpResponseNotAllowed(["POST"])

    def ack_response(
        self, request: HttpRequest, account: ChannelAccount, body: Any
    ) -> HttpResponse:
        """The answer once the raw event is stored (WeChat may put a passive reply in it)."""
        return JsonResponse({"ok": True})

    @abstractmethod
    def send(self, account: ChannelAccount, message: Message, recipient: str) -> str: ...

    @abstractmethod
    def check_connection(self, account: ChannelAccount) -> list[str]: ...

    @abstractmethod
    def register_webhook(self, account: ChannelAccount, url: str) -> None: ...
