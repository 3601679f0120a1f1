"""Telegram: a bot's updates come in by webhook, the agents' replies go out through the Bot API.

Inbound: `POST /api/channels/v1/telegram/<account key>/webhook/`, set up with `setWebhook` and a
`secret_token` (the admin's "Register webhook" action); Telegram sends the token back in
`X-Telegram-Bot-Api-Secret-Token`, compared in constant time. Each `Update` is stored raw once per
`update_id` (Telegram retries until it hears 200) and processed by a task:

- `message` with `text`, `photo` (the largest size, downloaded) or `document` (downloaded when
  its type is one the desk accepts, chat/attachments.py): one customer message; other kinds
  (stickers, voice, locations …) become a short placeholder (`[sticker]`) so the agent knows;
- `edited_message`: kept in the raw event only; the conversation shows what was first sent
  (an edit is not a new message, and rewriting a message the agent has read would mislead);
- `my_chat_member` (the user blocked or started the bot) and every other update: kept raw only;
- only private chats: a message from a group or channel the bot was added to is kept raw only.

The customer is the Telegram user (`IdentityKind.TELEGRAM`, the numeric user id), named from
first and last name, else the username. In a private chat the chat id is the user id, so a reply
goes to the identity's id.

Outbound: `sendMessage`, or `sendPhoto` / `sendDocument` for an attachment (its text as the
caption), through `desk.kernel.http` (timeouts, retries, the private-address guard). A 429's
`retry_after` is honoured; other 4xx fail at once with Telegram's description as the reason.

The Bot API's base URL is `TELEGRAM_API_BASE` (a local stand-in in tests).
"""

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import serializers

from chat.adapters.base import ChannelDisabled, InvalidPayload, SignatureInvalid, SignatureMissing
from chat.adapters.provider import ConnectionProblem, ProviderAdapter, SendFailed
from chat.attachments import ALLOWED, IMAGE_SIGNATURES
from chat.channels.models import ChannelAccount
from chat.inbound import InboundFile, InboundMessage
from chat.models import Channel, ContentType, IdentityKind, Message
from chat.services import IdentityRef
from desk.kernel import http

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header's name)
ALLOWED_UPDATES = ["message", "edited_message", "my_chat_member"]
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's own limit for getFile
CAPTION_MAX = 1024  # Telegram's caption limit; a longer text goes as its own message
TEXT_MAX = 4096
MEDIA_KINDS = ("sticker", "voice", "audio", "video", "video_note", "animation", "location",
               "contact", "poll", "dice", "venue")  # fmt: skip


class _Chat(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(max_length=20)


class _User(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    username = serializers.CharField(required=False, allow_blank=True, max_length=255)


class _File(serializers.Serializer):
    file_id = serializers.CharField(max_length=255)
    file_size = serializers.IntegerField(required=False, min_value=0)
    file_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    mime_type = serializers.CharField(required=False, allow_blank=True, max_length=255)


class _Message(serializers.Serializer):
    message_id = serializers.IntegerField()
    date = serializers.IntegerField()
    chat = _Chat()
    from_ = _User(required=False)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    caption = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    photo = _File(many=True, required=False)
    document = _File(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # `from` is a Python keyword
        return fields


class UpdateSerializer(serializers.Serializer):
    """The part of Telegram's `Update` the desk reads (other fields pass untouched)."""

    update_id = serializers.IntegerField(min_value=0)
    message = _Message(required=False)
    edited_message = _Message(required=False)


def display_name(user: dict[str, Any]) -> str:
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    return (name or user.get("username") or "")[:200]


class TelegramAdapter(ProviderAdapter):
    channel = Channel.TELEGRAM
    identity_kind = IdentityKind.TELEGRAM
    kept_headers = ("Content-Type", "User-Agent", "X-Forwarded-For")

    # ---- inbound ---------------------------------------------------------------------------

    def verify(self, request: HttpRequest, account: ChannelAccount) -> None:
        expected = account.secrets.get("webhook_secret", "")
        if not expected:
            raise ChannelDisabled()
        given = request.headers.get(SECRET_HEADER, "")
        if not given:
            raise SignatureMissing(_("The request has no secret token."))
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise SignatureInvalid(_("The request's secret token is not valid."))

    def event_id(self, body: Any) -> str:
        checked = UpdateSerializer(data=body)
        if not isinstance(body, dict) or not checked.is_valid():
            raise InvalidPayload(checked.errors if isinstance(body, dict) else {"update_id": []})
        return str(checked.validated_data["update_id"])

    def parse_event(self, account: ChannelAccount, body: dict[str, Any]) -> list[InboundMessage]:
        message = body.get("message")
        if not message or message.get("chat", {}).get("type") != "private":
            return []  # edited messages, membership changes, groups: kept raw only
        user = message.get("from") or {}
        if not user.get("id"):
            return []
        text = message.get("text") or message.get("caption") or ""
        content_type, files = ContentType.TEXT, ()
        if message.get("photo"):
            largest = max(
                message["photo"],
                key=lambda size: (size.get("file_size") or 0, _area(size)),
            )
            files = (
                self._download(
                    account, largest["file_id"], f"photo-{message['message_id']}.jpg", "image/jpeg"
                ),
            )
            content_type = ContentType.IMAGE
        elif message.get("document"):
            document = message["document"]
            mime = (document.get("mime_type") or "").lower()
            name = document.get("file_name") or f"document-{message['message_id']}"
            if mime in ALLOWED and (document.get("file_size") or 0) <= ALLOWED[mime].max_bytes:
                files = (self._download(account, document["file_id"], name, mime),)
                content_type = ALLOWED[mime].content_type
            else:
                text = f"[{name}] {text}".strip()
        elif not text:
            kind = next((kind for kind in MEDIA_KINDS if kind in message), "message")
            text = f"[{kind}]"
        return [
            InboundMessage(
                channel=self.channel,
                provider_message_id=f"{account.pk}:{body['update_id']}",
                identity=IdentityRef(
                    kind=self.identity_kind, external_id=str(user["id"]), verified=True
                ),
                display_name=display_name(user),
                body=text,
                content_type=content_type,
                payload={
                    "telegram": {
                        "chat_id": message["chat"]["id"],
                        "message_id": message["message_id"],
                    }
                },
                account_id=account.pk,
                team_id=account.team_id,
                files=files,
            )
        ]

    def _download(self, account: ChannelAccount, file_id: str, name: str, mime: str) -> InboundFile:
        found = self._call(account, "getFile", {"file_id": file_id})
        path = found.get("file_path") or ""
        limit = min(MAX_DOWNLOAD_BYTES, ALLOWED[mime].max_bytes if mime in ALLOWED else 0)
        url = f"{_base()}/file/bot{account.secrets.get('token', '')}/{path}"
        data = http.request("GET", url, max_bytes=limit).body
        signatures = IMAGE_SIGNATURES.get(mime)
        if signatures and not data.startswith(signatures):
            raise ValueError(f"telegram file {file_id}: not a {mime}")
        return InboundFile(name=name.replace("/", "_")[-200:], content_type=mime, data=data)

    # ---- outbound --------------------------------------------------------------------------

    def send(self, account: ChannelAccount, message: Message, recipient: str) -> str:
        attachments = list(message.attachments.all())
        text = message.body
        sent: list[int] = []
        for index, attachment in enumerate(attachments):
            caption = text if index == 0 and len(text) <= CAPTION_MAX else ""
            method, field = (
                ("sendPhoto", "photo")
                if attachment.content_type in IMAGE_SIGNATURES
                else ("sendDocument", "document")
            )
            with attachment.file.open("rb") as handle:
                content = handle.read()
            fields = {
                "chat_id": recipient,
                field: (attachment.original_name, content, attachment.content_type),
            }
            if caption:
                fields["caption"] = caption
            sent.append(self._send(account, method, fields=fields)["message_id"])
            if caption:
                text = ""
        if text.strip():
            for start in range(0, len(text), TEXT_MAX):
                chunk = text[start : start + TEXT_MAX]
                sent.append(
                    self._send(account, "sendMessage", json={"chat_id": recipient, "text": chunk})[
                        "message_id"
                    ]
                )
        if not sent:
            raise SendFailed("empty", _("There is nothing to send."), retryable=False)
        return f"{account.pk}:out:{recipient}:{sent[0]}"

    def _send(self, account: ChannelAccount, method: str, **body: Any) -> dict[str, Any]:
        try:
            return self._call(account, method, idempotent=True, **body)
        except ConnectionProblem as exc:
            retryable = exc.code not in ("unauthorized", "bad_request", "blocked", "forbidden")
            raise SendFailed(
                exc.code, exc.message, retryable=retryable, retry_after=exc.retry_after
            ) from exc

    # ---- the admin's actions ---------------------------------------------------------------

    def check_connection(self, account: ChannelAccount) -> list[str]:
        me = self._call(account, "getMe")
        info = self._call(account, "getWebhookInfo")
        facts = [
            _("Bot: @%(username)s (id %(id)s)")
            % {"username": me.get("username", "?"), "id": me.get("id", "?")}
        ]
        if info.get("url"):
            facts.append(_("Webhook: %(url)s") % {"url": info["url"]})
        else:
            facts.append(_("No webhook is registered yet: use “Register webhook”."))
        if info.get("pending_update_count"):
            facts.append(
                _("Updates waiting at Telegram: %(count)s")
                % {"count": info["pending_update_count"]}
            )
        if info.get("last_error_message"):
            facts.append(
                _("Telegram's last delivery error: %(error)s")
                % {"error": info["last_error_message"]}
            )
        return facts

    def register_webhook(self, account: ChannelAccount, url: str) -> None:
        self._call(
            account,
            "setWebhook",
            json={
                "url": url,
                "secret_token": account.secrets.get("webhook_secret", ""),
                "allowed_updates": ALLOWED_UPDATES,
            },
        )

    # ---- the one Bot API call --------------------------------------------------------------

    def _call(
        self,
        account: ChannelAccount,
        method: str,
        params: dict | None = None,
        *,
        idempotent: bool | None = None,
        **body: Any,
    ) -> dict[str, Any]:
        """`method`'s `result`, or a `ConnectionProblem` saying what went wrong in plain words."""
        token = account.secrets.get("token", "")
        if not token:
            raise ConnectionProblem("no_token", _("No bot token is saved for this account."))
        url = f"{_base()}/bot{token}/{method}"
        verb = "POST" if body else "GET"
        try:
            response = http.request(verb, url, params=params, idempotent=idempotent, **body)
        except http.HttpStatusError as exc:
            raise _api_problem(exc) from exc
        except http.OutboundError as exc:
            raise _network_problem(exc) from exc
        try:
            data = response.json()
        except ValueError as exc:
            raise ConnectionProblem(
                "bad_answer", _("Telegram's answer could not be read.")
            ) from exc
        if not isinstance(data, dict) or not data.get("ok"):
            raise ConnectionProblem("bad_answer", _("Telegram's answer could not be read."))
        return (
            data.get("result")
            if isinstance(data.get("result"), dict)
            else {"value": data.get("result")}
        )


def _area(size: dict[str, Any]) -> int:
    width, height = size.get("width"), size.get("height")
    return width * height if isinstance(width, int) and isinstance(height, int) else 0


def _base() -> str:
    return settings.TELEGRAM_API_BASE.rstrip("/")


def _api_problem(exc: http.HttpStatusError) -> ConnectionProblem:
    try:
        data = exc.response.json()
    except ValueError:
        data = {}
    description = data.get("description", "") if isinstance(data, dict) else ""
    status = exc.status
    if status == 401:
        problem = ConnectionProblem(
            "unauthorized", _("Telegram refused the bot token (401): check it with @BotFather.")
        )
    elif status == 403:
        problem = ConnectionProblem(
            "forbidden",
            _(
                "Telegram refused (403): the user has blocked the bot or never started it. "
                "%(detail)s"
            )
            % {"detail": description},
        )
    elif status == 404:
        problem = ConnectionProblem(
            "unauthorized",
            _("Telegram does not know this bot token (404): check it with @BotFather."),
        )
    elif status == 429:
        problem = ConnectionProblem(
            "rate_limited",
            _("Telegram asks to slow down (429). %(detail)s") % {"detail": description},
        )
        parameters = data.get("parameters") if isinstance(data, dict) else None
        given = parameters.get("retry_after") if isinstance(parameters, dict) else None
        problem.retry_after = float(given) if isinstance(given, int | float) else exc.retry_after
    elif status >= 500:
        problem = ConnectionProblem(
            "provider_error",
            _("Telegram failed (%(status)s). %(detail)s")
            % {"status": status, "detail": description},
        )
    else:
        problem = ConnectionProblem(
            "bad_request",
            _("Telegram refused the request (%(status)s): %(detail)s")
            % {"status": status, "detail": description or "-"},
        )
    return problem


def _network_problem(exc: http.OutboundError) -> ConnectionProblem:
    messages = {
        "blocked": _(
            "The Bot API address is private or reserved and not on OUTBOUND_ALLOWLIST: "
            "the request was not sent."
        ),
        "timeout": _("Telegram did not answer in time (timeout)."),
        "tls": _(
            "The secure connection (TLS) to Telegram failed: "
            "check the server's clock and certificates."
        ),
        "unreachable": _(
            "Telegram cannot be reached: check the server's network, DNS and firewall."
        ),
        "too_large": _("Telegram's answer was larger than allowed."),
    }
    return ConnectionProblem(exc.kind, messages.get(exc.kind, str(exc)))
