"""WhatsApp Cloud API: a business number's messages and delivery statuses come in by webhook,
the agents' replies go out by `/{phone_number_id}/messages` (docs/channels.md).

Inbound: `GET /api/channels/v1/whatsapp/<key>/webhook/` answers Meta's check (`hub.mode` =
subscribe, `hub.verify_token` = the account's verify token, `hub.challenge` echoed); `POST`
carries `X-Hub-Signature-256` = `sha256=` + HMAC-SHA256 of the raw body under the app secret,
compared in constant time. One POST is one raw event (its `wamid`s are the dedupe key) and each
message is stored once per `wamid`:

- text; image, document, audio, video, sticker (media id → `GET /{media id}` → the URL → the
  bytes, with the bearer token, through the guarded client; a type the desk does not accept
  becomes `[file name]`); location (name, address, coordinates); interactive `button_reply` /
  `list_reply` and template `button` (the title, the id in the payload); reactions ignored;
- `statuses` (sent / delivered / read / failed) move the reply with that `wamid` forward
  (chat/channels/receipts.py; failed with WhatsApp's reason), heard live as `message.update`.

The customer is the WhatsApp number (`IdentityKind.WHATSAPP`, `wa_id`), named from
`contacts[].profile.name`. WhatsApp takes free-form replies for 24 hours after the customer's
last message; after that only a template (the account's template name and language) goes out,
and a free-form reply fails at once as `reply_window_closed`.
"""

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.adapters.base import ChannelDisabled, InvalidPayload, SignatureInvalid, SignatureMissing
from chat.adapters.provider import ConnectionProblem, ProviderAdapter, SendFailed
from chat.attachments import ALLOWED, IMAGE_SIGNATURES
from chat.channels.models import ChannelAccount
from chat.inbound import InboundFile, InboundMessage
from chat.models import Channel, ContentType, DeliveryState, IdentityKind, Message, SenderType
from chat.services import IdentityRef
from desk.kernel import http

SIGNATURE_HEADER = "X-Hub-Signature-256"
REPLY_WINDOW = timedelta(hours=24)
MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
MAX_MEDIA_BYTES = 16 * 1024 * 1024
STATES = {
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
}
WINDOW_ERRORS = {131047}  # "Re-engagement message": more than 24 hours since the customer wrote
TEXT_MAX = 4096


def _base() -> str:
    return settings.WHATSAPP_API_BASE.rstrip("/")


def _values(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise InvalidPayload({"object": ["must be whatsapp_business_account"]})
    entries = body.get("entry")
    if not isinstance(entries, list) or not entries:
        raise InvalidPayload({"entry": ["a non-empty list"]})
    values = []
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            raise InvalidPayload({"entry": ["changes: a list"]})
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                raise InvalidPayload({"changes": ["value: an object"]})
            for name in ("messages", "statuses", "contacts"):
                items = value.get(name, [])
                if not isinstance(items, list) or not all(
                    isinstance(item, dict) and item.get("id" if name != "contacts" else "wa_id")
                    for item in items
                ):
                    raise InvalidPayload({name: ["a list of objects with ids"]})
            values.append(value)
    return values


class WhatsappAdapter(ProviderAdapter):
    channel = Channel.WHATSAPP
    identity_kind = IdentityKind.WHATSAPP
    kept_headers = ("Content-Type", "User-Agent", "X-Forwarded-For")

    # ---- inbound ---------------------------------------------------------------------------

    def challenge(self, request: HttpRequest, account: ChannelAccount) -> HttpResponse:
        expected = account.secrets.get("webhook_secret", "")
        given = request.GET.get("hub.verify_token", "")
        if request.GET.get("hub.mode") != "subscribe" or not given:
            raise SignatureMissing(_("The request has no verify token."))
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            raise SignatureInvalid(_("The verify token is not this account's."))
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")

    def verify(self, request: HttpRequest, account: ChannelAccount) -> None:
        secret = account.secrets.get("app_secret", "")
        if not secret:
            raise ChannelDisabled()
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise SignatureMissing(_("The request has no X-Hub-Signature-256."))
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise SignatureInvalid(_("The request's X-Hub-Signature-256 is not valid."))

    def event_id(self, body: Any) -> str:
        keys = []
        for value in _values(body):
            keys += [str(message["id"]) for message in value.get("messages", [])]
            keys += [f"{s['id']}:{s.get('status', '')}" for s in value.get("statuses", [])]
        if len(keys) == 1 and len(keys[0]) <= 191:
            return keys[0]
        basis = keys or [json.dumps(body, sort_keys=True)]
        return "sha256:" + hashlib.sha256("\n".join(basis).encode()).hexdigest()

    def parse_event(self, account: ChannelAccount, body: dict[str, Any]) -> list[InboundMessage]:
        found: list[InboundMessage] = []
        for value in _values(body):
            names = {
                contact["wa_id"]: (contact.get("profile") or {}).get("name", "")
                for contact in value.get("contacts", [])
            }
            for message in value.get("messages", []):
                made = self._message(account, message, names.get(message.get("from"), ""))
                if made is not None:
                    found.append(made)
            for status in value.get("statuses", []):
                state = STATES.get(status.get("status", ""))
                if state is None:
                    continue
                errors = status.get("errors") or [{}]
                self.delivery_status(
                    provider_message_id=f"{account.pk}:{status['id']}",
                    state=state,
                    code="reply_window_closed"
                    if errors[0].get("code") in WINDOW_ERRORS
                    else "bad_request",
                    reason=" ".join(
                        str(part)
                        for part in (
                            errors[0].get("code"),
                            errors[0].get("title"),
                            (errors[0].get("error_data") or {}).get("details"),
                        )
                        if part
                    ),
                )
        return found

    def _message(
        self, account: ChannelAccount, message: dict[str, Any], name: str
    ) -> InboundMessage | None:
        kind = message.get("type", "")
        text, content_type, files = "", ContentType.TEXT, ()
        extra: dict[str, Any] = {}
        if kind == "reaction":
            return None
        if kind == "text":
            text = (message.get("text") or {}).get("body", "")
        elif kind in MEDIA_KINDS:
            media = message.get(kind) or {}
            mime = (media.get("mime_type") or "").split(";")[0].strip().lower()
            file_name = media.get("filename") or f"{kind}-{message['id'][-12:]}"
            text = media.get("caption", "")
            if mime in ALLOWED and media.get("id"):
                files = (self._download(account, media["id"], file_name, mime),)
                content_type = ALLOWED[mime].content_type
            else:
                text = f"[{file_name}] {text}".strip()
        elif kind == "location":
            loc = message.get("location") or {}
            label = " ".join(part for part in (loc.get("name"), loc.get("address")) if part)
            text = f"[location] {label} ({loc.get('latitude')}, {loc.get('longitude')})"
            text = text.replace("  ", " ")
            extra["location"] = loc
        elif kind == "interactive":
            interactive = message.get("interactive") or {}
            reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
            text = reply.get("title", "")
            extra["reply_id"] = reply.get("id", "")
        elif kind == "button":
            button = message.get("button") or {}
            text, extra["reply_id"] = button.get("text", ""), button.get("payload", "")
        if not text and not files:
            text = f"[{kind or 'message'}]"
        return InboundMessage(
            channel=self.channel,
            provider_message_id=f"{account.pk}:{message['id']}",
            identity=IdentityRef(
                kind=self.identity_kind, external_id=str(message.get("from", "")), verified=True
            ),
            display_name=name[:200],
            body=text[:5000],
            content_type=content_type,
            payload={"whatsapp": {"type": kind, **extra}},
            account_id=account.pk,
            team_id=account.team_id,
            files=files,
        )

    def _download(self, account: ChannelAccount, media_id: str, name: str, mime: str):
        found = self._call(account, "GET", f"/{media_id}")
        limit = min(MAX_MEDIA_BYTES, ALLOWED[mime].max_bytes)
        data = self._http(account, "GET", found.get("url", ""), max_bytes=limit).body
        signatures = IMAGE_SIGNATURES.get(mime)
        if signatures and not data.startswith(signatures):
            raise ValueError(f"whatsapp media {media_id}: not a {mime}")
        return InboundFile(name=name.replace("/", "_")[-200:], content_type=mime, data=data)

    # ---- outbound --------------------------------------------------------------------------

    def send(self, account: ChannelAccount, message: Message, recipient: str) -> str:
        secrets = account.secrets
        path = f"/{secrets.get('phone_number_id', '')}/messages"
        base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient}
        if message.payload.get("whatsapp_template"):
            name, language = secrets.get("template_name"), secrets.get("template_language")
            if not name or not language:
                raise SendFailed(
                    "bad_request",
                    _("No template is configured on this WhatsApp account."),
                    retryable=False,
                )
            template: dict[str, Any] = {"name": name, "language": {"code": language}}
            parameters = message.payload.get("whatsapp_template_parameters") or []
            if parameters:  # the body's {{1}}, {{2}} …, filled when the agent sent it
                template["components"] = [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": text} for text in parameters],
                    }
                ]
            body = {**base, "type": "template", "template": template}
            return f"{account.pk}:{self._send(account, path, body)}"
        if not window_open(message):
            raise SendFailed(
                "reply_window_closed",
                _(
                    "WhatsApp allows free-form replies only within 24 hours of the customer's "
                    "last message; send the template instead."
                ),
                retryable=False,
            )
        ids: list[str] = []
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as handle:
                content = handle.read()
            uploaded = self._call(
                account,
                "POST",
                f"/{secrets.get('phone_number_id', '')}/media",
                fields={
                    "messaging_product": "whatsapp",
                    "type": attachment.content_type,
                    "file": (attachment.original_name, content, attachment.content_type),
                },
            )
            kind = "image" if attachment.content_type in IMAGE_SIGNATURES else "document"
            media: dict[str, Any] = {"id": uploaded.get("id", "")}
            if kind == "document":
                media["filename"] = attachment.original_name
            ids.append(self._send(account, path, {**base, "type": kind, kind: media}))
        text = message.body
        if text.strip():
            for start in range(0, len(text), TEXT_MAX):
                chunk = text[start : start + TEXT_MAX]
                ids.append(
                    self._send(account, path, {**base, "type": "text", "text": {"body": chunk}})
                )
        if not ids:
            raise SendFailed("empty", _("There is nothing to send."), retryable=False)
        return f"{account.pk}:{ids[-1]}"

    def _send(self, account: ChannelAccount, path: str, body: dict[str, Any]) -> str:
        try:
            answer = self._call(account, "POST", path, json=body)
        except ConnectionProblem as exc:
            retryable = exc.code in ("rate_limited", "provider_error", "timeout", "unreachable")
            raise SendFailed(
                exc.code, exc.message, retryable=retryable, retry_after=exc.retry_after
            ) from exc
        messages = answer.get("messages") or [{}]
        return str(messages[0].get("id", ""))

    # ---- the admin's actions ---------------------------------------------------------------

    def check_connection(self, account: ChannelAccount) -> list[str]:
        number = self._call(account, "GET", f"/{account.secrets.get('phone_number_id', '')}")
        return [
            _("Number: %(number)s (%(name)s)")
            % {
                "number": number.get("display_phone_number", "?"),
                "name": number.get("verified_name", "?"),
            }
        ]

    def register_webhook(self, account: ChannelAccount, url: str) -> None:
        raise ConnectionProblem(
            "manual",
            _(
                "Meta has no call for this here: in the Meta app → WhatsApp → Configuration, "
                "enter the callback URL and the verify token, and subscribe to “messages”."
            ),
        )

    # ---- the Graph API ---------------------------------------------------------------------

    def _call(self, account: ChannelAccount, verb: str, path: str, **kwargs: Any) -> dict:
        response = self._http(account, verb, f"{_base()}{path}", **kwargs)
        try:
            data = response.json()
        except ValueError as exc:
            problem = ConnectionProblem("bad_answer", _("WhatsApp's answer could not be read."))
            raise problem from exc
        return data if isinstance(data, dict) else {}

    def _http(self, account: ChannelAccount, verb: str, url: str, **kwargs: Any) -> http.Response:
        token = account.secrets.get("token", "")
        if not token:
            raise ConnectionProblem("no_token", _("No access token is saved for this account."))
        try:
            return http.request(verb, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except http.HttpStatusError as exc:
            raise _api_problem(exc) from exc
        except http.OutboundError as exc:
            raise _network_problem(exc) from exc


def window_open(message: Message) -> bool:
    last = (
        Message.objects.filter(
            conversation_id=message.conversation_id, sender_type=SenderType.CUSTOMER
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is not None and timezone.now() - last < REPLY_WINDOW


def _api_problem(exc: http.HttpStatusError) -> ConnectionProblem:
    try:
        error = exc.response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    detail = " ".join(str(p) for p in (error.get("code"), error.get("message")) if p) or "-"
    status, words = exc.status, {"status": exc.status, "detail": detail}
    if status in (401, 403) or error.get("code") in (190, 10, 200):
        return ConnectionProblem(
            "unauthorized",
            _("WhatsApp refused the access token (%(status)s): %(detail)s") % words,
        )
    if error.get("code") in WINDOW_ERRORS:
        return ConnectionProblem(
            "reply_window_closed",
            _("WhatsApp refused: the 24-hour window is over (%(detail)s).") % words,
        )
    if status == 429:
        return ConnectionProblem(
            "rate_limited",
            _("WhatsApp asks to slow down (429). %(detail)s") % words,
            retry_after=exc.retry_after,
        )
    if status >= 500:
        return ConnectionProblem(
            "provider_error", _("WhatsApp failed (%(status)s). %(detail)s") % words
        )
    return ConnectionProblem(
        "bad_request", _("WhatsApp refused the request (%(status)s): %(detail)s") % words
    )


def _network_problem(exc: http.OutboundError) -> ConnectionProblem:
    messages = {
        "blocked": _(
            "The WhatsApp API address is private or reserved and not on OUTBOUND_ALLOWLIST: "
            "the request was not sent."
        ),
        "timeout": _("WhatsApp did not answer in time (timeout)."),
        "tls": _("The secure connection (TLS) to WhatsApp failed: check the server's clock."),
        "unreachable": _("WhatsApp cannot be reached: check the server's network, DNS, firewall."),
        "too_large": _("WhatsApp's answer was larger than allowed."),
    }
    return ConnectionProblem(exc.kind, messages.get(exc.kind, str(exc)))
