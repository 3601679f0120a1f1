"""The mobile app channel: the merchant's app backend POSTs its users' messages to Unidesk.

`POST /api/channels/v1/app/webhook/` with a JSON body `{"messages": [...]}` (1 to
`MAX_MESSAGES_PER_REQUEST`), signed with the shared secret `APP_CHANNEL_SECRET`:

    X-Unidesk-Timestamp: <unix seconds>
    X-Unidesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The timestamp is signed with the body and must be within `SIGNATURE_MAX_AGE_SECONDS` of the
server's clock, so a captured request cannot be replayed later; one replayed inside the window
is harmless (each message is stored once per `id`). Without a secret the channel is off (503
`channel_disabled`). The customer is the app user (`IdentityKind.APP_USER`, verified: the
backend vouches for it). Message and error formats: docs/channels.md.

Of the four parts every adapter has (`chat.adapters.base.AdapterShape`) the app channel has two:
`verify` and `parse`. Nothing goes out (`outbound` NONE, `send` None): the app's backend reads
the agent's replies the way it shows the conversation to its user; and it reports no delivery
status (`delivery_status` None).
"""

import hashlib
import hmac
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import serializers

from chat.adapters.base import (
    ChannelAdapter,
    ChannelDisabled,
    InvalidJson,
    InvalidPayload,
    Outbound,
    SignatureExpired,
    SignatureInvalid,
    SignatureMissing,
)
from chat.context import CONTEXT_LIMITS, ConversationContext
from chat.frames import MAX_BODY_CHARS  # the sockets' limit on a message
from chat.inbound import PROVIDER_ID_MAX_LENGTH, InboundMessage
from chat.models import Channel, ContentType, Customer, CustomerIdentity, IdentityKind
from chat.services import IdentityRef
from desk.kernel import json_input

SIGNATURE_HEADER = "X-Unidesk-Signature"
TIMESTAMP_HEADER = "X-Unidesk-Timestamp"
SIGNATURE_PREFIX = "sha256="
SIGNATURE_MAX_AGE_SECONDS = 300  # either way: clocks a little apart still work
MAX_MESSAGES_PER_REQUEST = 100


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Unidesk-Signature` value of `body` sent at `timestamp` (what the backend computes)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _no_surrogates(value: str) -> None:
    """JSON may carry lone surrogates (`"\\ud800"`), which no database column can store."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise serializers.ValidationError(_("Not valid Unicode text.")) from exc


class _Text(serializers.CharField):
    """A JSON string as sent (no trimming), storable Unicode; numbers are not strings here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(_no_surrogates)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _Id(_Text):
    """An id as the app has it: a string, or a whole number (many backends count their ids)."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        return super().to_internal_value(data)


class AppContextSerializer(serializers.Serializer):
    """Where the user is writing from; kept on the conversation the message starts."""

    device = _Text(max_length=CONTEXT_LIMITS["device"], required=False)
    os = _Text(max_length=CONTEXT_LIMITS["os"], required=False)
    app_version = _Text(max_length=CONTEXT_LIMITS["app_version"], required=False)
    network_type = _Text(max_length=CONTEXT_LIMITS["network_type"], required=False)


class AppMessageSerializer(serializers.Serializer):
    id = _Id(
        max_length=PROVIDER_ID_MAX_LENGTH,
        help_text="The app's message id (a string or a whole number): each is stored once.",
    )
    user_id = _Id(
        max_length=_max_length(CustomerIdentity, "external_id"),
        help_text="The app's user id (a string or a whole number): the customer.",
    )
    user_name = _Text(
        max_length=_max_length(Customer, "display_name"),
        required=False,
        allow_blank=True,
        help_text="The name a customer seen for the first time gets.",
    )
    type = serializers.ChoiceField(
        choices=[ContentType.TEXT], default=ContentType.TEXT, help_text="Only text for now."
    )
    text = _Text(max_length=MAX_BODY_CHARS)
    sent_at = serializers.DateTimeField(
        required=False, help_text="When the user sent it (ISO 8601); kept in `payload`."
    )
    context = AppContextSerializer(required=False)

    def validate_id(self, value: str) -> str:
        return _not_blank(value)

    def validate_user_id(self, value: str) -> str:
        return _not_blank(value)

    def validate_text(self, value: str) -> str:
        return _not_blank(value)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise serializers.ValidationError(_("This field may not be blank."))  # DRF's catalogue
    return value


class AppWebhookSerializer(serializers.Serializer):
    messages = AppMessageSerializer(many=True, min_length=1, max_length=MAX_MESSAGES_PER_REQUEST)


class AppAdapter(ChannelAdapter):
    channel = Channel.APP
    identity_kind = IdentityKind.APP_USER
    outbound = Outbound.NONE
    send = None  # the app's backend reads replies itself: nothing goes out
    delivery_status = None  # and it reports none

    def secret(self) -> str:
        return settings.APP_CHANNEL_SECRET

    def verify(self, request: HttpRequest) -> None:
        secret = self.secret()
        if not secret:
            raise ChannelDisabled()
        given = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not given or not timestamp:
            raise SignatureMissing()
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise SignatureInvalid()
        if not given.isascii():
            raise SignatureInvalid()
        expected = sign(secret, timestamp, request.body)
        if not hmac.compare_digest(expected, given.strip().lower()):
            raise SignatureInvalid()
        if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
            raise SignatureExpired()

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            data = json_input.json_loads(request.body)
        except json_input.InvalidJson as exc:
            raise InvalidJson() from exc
        checked = AppWebhookSerializer(data=data)
        if not checked.is_valid():
            raise InvalidPayload(checked.errors)
        return [self._message(item) for item in checked.validated_data["messages"]]

    def _message(self, item: dict[str, Any]) -> InboundMessage:
        context = item.get("context")
        return InboundMessage(
            channel=self.channel,
            provider_message_id=item["id"],
            identity=IdentityRef(
                kind=self.identity_kind, external_id=item["user_id"], verified=True
            ),
            display_name=item.get("user_name", ""),
            body=item["text"],
            content_type=item["type"],
            sent_at=item.get("sent_at"),
            context=ConversationContext(**context) if context else None,
        )
