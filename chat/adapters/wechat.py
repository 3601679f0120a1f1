"""WeChat Official Account (微信公众号): messages come in by the server URL, replies go out by
the customer-service message API (docs/channels.md).

Inbound: `GET /api/channels/v1/wechat/<key>/webhook/` is the server URL check (`signature` over
the sorted Token, `timestamp`, `nonce`; `echostr` echoed, or decrypted when it comes with a
`msg_signature`); `POST` carries one XML message. Safe mode (安全模式, `encrypt_type=aes`) is
required unless `WECHAT_PLAINTEXT_ALLOWED` (default: DEBUG): its `msg_signature` covers the
ciphertext, which is decrypted (wechat_crypto.py) and checked to carry this account's AppID.
XML is read with defusedxml (no DTDs, no entities). The decrypted message is stored raw once per
`MsgId` (events: FromUserName + CreateTime + Event) and answered `success` at once.

What becomes a message: text; image (downloaded by MediaId through the media API); voice (the
recorded file, AMR or Speex, downloaded the same way and kept as a file to download: browsers
do not play those; the recognised text when WeChat gives it); video and short video (the media
API answers with the video's address, which is downloaded: an MP4); location (the label and
coordinates); link (title, description, URL); a menu `CLICK` as a customer message
`[menu] <EventKey>` with `payload.wechat.menu_key`, so the agent sees what was tapped. Subscribe,
unsubscribe and other events are kept raw only; a subscribe is answered with the account's
welcome message, when it has one, as a passive reply (the webhook's own answer, encrypted in safe
mode).

Outbound: `/cgi-bin/message/custom/send` with an access_token from `/cgi-bin/token`, cached until
shortly before it expires and fetched again once on 40001 / 42001 / 40014. WeChat lets an account
answer for 48 hours after the customer's last message: a reply after that fails at once as
`reply_window_closed` (the message is kept, drawn failed with the reason).
"""

from datetime import timedelta
from typing import Any

from defusedxml import ElementTree
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.adapters import wechat_crypto as crypto
from chat.adapters.base import (
    InvalidPayload,
    SignatureInvalid,
    SignatureMissing,
    WebhookRejected,
)
from chat.adapters.provider import ConnectionProblem, ProviderAdapter, SendFailed
from chat.attachments import IMAGE_SIGNATURES
from chat.channels.models import ChannelAccount
from chat.inbound import InboundFile, InboundMessage
from chat.models import Channel, ContentType, IdentityKind, Message, SenderType
from chat.services import IdentityRef
from desk.kernel import http
from desk.kernel.json_input import json_loads

REPLY_WINDOW = timedelta(hours=48)
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired access_token
WINDOW_ERRORS = {45015, 45047}  # reply window over, too many replies in it
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VOICE_BYTES = 2 * 1024 * 1024  # WeChat's own limit for a voice message
MAX_VIDEO_BYTES = 25 * 1024 * 1024  # as the widget's video uploads (chat/attachments.py)
VOICE_TYPES = {"amr": "audio/amr", "speex": "audio/speex"}
TEXT_MAX = 2000


class PlaintextRefused(WebhookRejected):
    status = 403
    code = "plaintext_refused"
    default_message = "Plaintext mode is refused: switch the account to safe mode (安全模式)."


def reply_window_left(last_customer_at, now=None) -> timedelta | None:
    """How long the account may still answer; None when the window is closed."""
    if last_customer_at is None:
        return None
    left = last_customer_at + REPLY_WINDOW - (now or timezone.now())
    return left if left > timedelta(0) else None


def xml_fields(raw: bytes) -> dict[str, str]:
    """The flat fields of a WeChat XML message (`<xml><Name>value</Name>…</xml>`)."""
    try:
        root = ElementTree.fromstring(raw, forbid_dtd=True)
    except Exception as exc:  # ParseError, DTD/entity refused
        raise InvalidPayload({"xml": ["not well-formed XML"]}) from exc
    if root.tag != "xml":
        raise InvalidPayload({"xml": ["the root element must be <xml>"]})
    return {child.tag: (child.text or "").strip() for child in root if len(child) == 0}


def _plaintext_allowed() -> bool:
    return bool(getattr(settings, "WECHAT_PLAINTEXT_ALLOWED", settings.DEBUG))


class WechatAdapter(ProviderAdapter):
    channel = Channel.WECHAT
    identity_kind = IdentityKind.WECHAT_OPENID
    kept_headers = ("Content-Type", "User-Agent", "X-Forwarded-For")

    # ---- inbound ---------------------------------------------------------------------------

    def _query(self, request: HttpRequest) -> tuple[str, str, str]:
        timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
        if not timestamp or not nonce or not request.GET.get("signature"):
            raise SignatureMissing(_("The request has no WeChat signature."))
        return timestamp, nonce, request.GET["signature"]

    def _check_plain(self, request: HttpRequest, account: ChannelAccount) -> None:
        timestamp, nonce, given = self._query(request)
        token = account.secrets.get("webhook_secret", "")
        if not crypto.signature_ok((token, timestamp, nonce), given):
            raise SignatureInvalid(_("The request's WeChat signature is not valid."))

    def challenge(self, request: HttpRequest, account: ChannelAccount) -> HttpResponse:
        """The server URL check (公众平台 → 基本配置): echo `echostr` once the signature fits."""
        echostr = request.GET.get("echostr", "")
        if request.GET.get("msg_signature"):
            timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
            token = account.secrets.get("webhook_secret", "")
            if not crypto.signature_ok(
                (token, timestamp, nonce, echostr), request.GET["msg_signature"]
            ):
                raise SignatureInvalid(_("The request's WeChat signature is not valid."))
            try:
                echostr = self._decrypt(account, echostr).decode()
            except crypto.CryptoError as exc:
                raise InvalidPayload({"echostr": [str(exc)]}) from exc
        else:
            self._check_plain(request, account)
        return HttpResponse(echostr, content_type="text/plain")

    def verify(self, request: HttpRequest, account: ChannelAccount) -> None:
        self._check_plain(request, account)
        if request.GET.get("encrypt_type") == "aes":
            given = request.GET.get("msg_signature", "")
            if not given:
                raise SignatureMissing(_("The request has no WeChat signature."))
            encrypted = xml_fields(request.body).get("Encrypt", "")
            token = account.secrets.get("webhook_secret", "")
            parts = (token, request.GET["timestamp"], request.GET["nonce"], encrypted)
            if not encrypted or not crypto.signature_ok(parts, given):
                raise SignatureInvalid(_("The request's WeChat signature is not valid."))
        elif not _plaintext_allowed() or account.secrets.get("encoding_aes_key"):
            raise PlaintextRefused(
                _("Plaintext mode is refused: switch the account to safe mode (安全模式).")
            )

    def decode_body(self, request: HttpRequest, account: ChannelAccount) -> Any:
        fields = xml_fields(request.body)
        if request.GET.get("encrypt_type") == "aes":
            try:
                fields = xml_fields(self._decrypt(account, fields.get("Encrypt", "")))
            except crypto.CryptoError as exc:
                raise InvalidPayload({"Encrypt": [str(exc)]}) from exc
        return fields

    def _decrypt(self, account: ChannelAccount, encrypted: str) -> bytes:
        secrets = account.secrets
        return crypto.decrypt(
            secrets.get("encoding_aes_key", ""), encrypted, secrets.get("app_id", "")
        )

    def event_id(self, body: Any) -> str:
        missing = [
            name
            for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType")
            if not isinstance(body, dict) or not body.get(name)
        ]
        if missing:
            raise InvalidPayload({name: ["required"] for name in missing})
        if not body["CreateTime"].isdigit() or len(body["FromUserName"]) > 64:
            raise InvalidPayload({"CreateTime": ["a whole number"]})
        if body.get("MsgId"):
            return body["MsgId"][:191]
        return f"{body['FromUserName']}:{body['CreateTime']}:{body.get('Event', '')}"[:191]

    def ack_response(
        self, request: HttpRequest, account: ChannelAccount, body: Any
    ) -> HttpResponse:
        """`success`; for a new follower (`subscribe`) the account's welcome message instead, as
        a passive reply (被动回复: the answer to the webhook itself, encrypted in safe mode), the
        one moment WeChat lets an account speak without the customer-service API."""
        welcome = (account.secrets.get("welcome_message") or "").strip()
        subscribed = body.get("MsgType") == "event" and body.get("Event") == "subscribe"
        if not welcome or not subscribed:
            return HttpResponse("success", content_type="text/plain")
        reply = _xml(
            ToUserName=body["FromUserName"],
            FromUserName=body["ToUserName"],
            CreateTime=int(timezone.now().timestamp()),
            MsgType="text",
            Content=welcome,
        )
        if request.GET.get("encrypt_type") == "aes":
            reply = self._passive_encrypted(request, account, reply)
        return HttpResponse(reply, content_type="application/xml")

    def _passive_encrypted(self, request: HttpRequest, account: ChannelAccount, reply: str) -> str:
        secrets = account.secrets
        encrypted = crypto.encrypt(
            secrets.get("encoding_aes_key", ""), reply.encode(), secrets.get("app_id", "")
        )
        timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
        signature = crypto.signature(secrets.get("webhook_secret", ""), timestamp, nonce, encrypted)
        return _xml(Encrypt=encrypted, MsgSignature=signature, TimeStamp=timestamp, Nonce=nonce)

    def parse_event(self, account: ChannelAccount, body: dict[str, Any]) -> list[InboundMessage]:
        kind = body.get("MsgType", "")
        text, content_type, files = "", ContentType.TEXT, ()
        extra: dict[str, Any] = {}
        if kind == "text":
            text = body.get("Content", "")
        elif kind == "image":
            files = (self._download_image(account, body),)
            content_type = ContentType.IMAGE
        elif kind == "voice":
            text = f"[voice] {body.get('Recognition', '')}".strip()
            extra["media_id"] = body.get("MediaId", "")
            files = (self._download_voice(account, body),)
            content_type = ContentType.FILE  # AMR / Speex: a file to download, not a player
        elif kind in ("video", "shortvideo"):
            text = f"[{kind}]"
            extra["media_id"] = body.get("MediaId", "")
            files = (self._download_video(account, body),)
            content_type = ContentType.VIDEO
        elif kind == "location":
            x, y = body.get("Location_X", ""), body.get("Location_Y", "")
            text = f"[location] {body.get('Label', '')} ({x}, {y})".replace("  ", " ")
            extra["location"] = {"latitude": x, "longitude": y, "label": body.get("Label", "")}
        elif kind == "link":
            parts = (body.get("Title", ""), body.get("Description", ""), body.get("Url", ""))
            text = "\n".join(part for part in parts if part)
        elif kind == "event" and body.get("Event", "").upper() == "CLICK":
            text = f"[menu] {body.get('EventKey', '')}"
            extra["menu_key"] = body.get("EventKey", "")
        else:
            return []  # subscribe, unsubscribe, VIEW, SCAN …: kept raw only
        if not text and not files:
            text = f"[{kind}]"
        open_id = body["FromUserName"]
        event_id = self.event_id(body)
        union_id = body.get("UnionId", "")
        linked = (
            (IdentityRef(kind=IdentityKind.WECHAT_UNIONID, external_id=union_id, verified=True),)
            if 0 < len(union_id) <= 64
            else ()
        )
        return [
            InboundMessage(
                channel=self.channel,
                provider_message_id=f"{account.pk}:{event_id}",
                identity=IdentityRef(kind=self.identity_kind, external_id=open_id, verified=True),
                display_name="",
                body=text[:5000],
                content_type=content_type,
                payload={
                    "wechat": {"msg_type": kind, "to": body.get("ToUserName", ""), **extra},
                    **({"wechat_unionid": union_id} if linked else {}),
                },
                account_id=account.pk,
                team_id=account.team_id,
                files=files,
                linked=linked,
            )
        ]

    def _media(self, account: ChannelAccount, media_id: str, *, max_bytes: int) -> bytes:
        """What `/cgi-bin/media/get` answers for a media id: the file, or JSON (a video's
        address, or an error the caller refuses)."""
        response = self._http(
            "GET",
            f"{_base()}/cgi-bin/media/get",
            params={"access_token": self._token(account), "media_id": media_id},
            max_bytes=max_bytes,
        )
        return response.body

    def _download_image(self, account: ChannelAccount, body: dict[str, Any]) -> InboundFile:
        media_id = body.get("MediaId", "")
        data = self._media(account, media_id, max_bytes=MAX_IMAGE_BYTES)
        if data.startswith(b"{"):
            raise ValueError(f"wechat media {media_id}: {data[:200]!r}")
        mime = next((mime for mime, sig in IMAGE_SIGNATURES.items() if data.startswith(sig)), None)
        if mime is None:
            raise ValueError(f"wechat media {media_id}: not an image")
        extension = mime.split("/")[1].replace("jpeg", "jpg")
        return InboundFile(name=f"wechat-{media_id[:40]}.{extension}", content_type=mime, data=data)

    def _download_voice(self, account: ChannelAccount, body: dict[str, Any]) -> InboundFile:
        media_id = body.get("MediaId", "")
        data = self._media(account, media_id, max_bytes=MAX_VOICE_BYTES)
        if data.startswith(b"{"):
            raise ValueError(f"wechat voice {media_id}: {data[:200]!r}")
        given = body.get("Format", "").lower()
        extension = given if given in VOICE_TYPES else "amr"
        return InboundFile(
            name=f"wechat-voice-{media_id[:40]}.{extension}",
            content_type=VOICE_TYPES[extension],
            data=data,
        )

    def _download_video(self, account: ChannelAccount, body: dict[str, Any]) -> InboundFile:
        """A video's media id gives `{"video_url": …}`; the file is at that address."""
        media_id = body.get("MediaId", "")
        answer = self._media(account, media_id, max_bytes=64 * 1024)
        try:
            url = json_loads(answer).get("video_url", "")
        except (ValueError, AttributeError):
            url = ""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"wechat video {media_id}: {answer[:200]!r}")
        data = self._http("GET", url, max_bytes=MAX_VIDEO_BYTES).body
        if data[4:8] != b"ftyp":  # an MP4 (ISO media) file: its first box is "ftyp"
            raise ValueError(f"wechat video {media_id}: not an MP4")
        return InboundFile(
            name=f"wechat-video-{media_id[:40]}.mp4", content_type="video/mp4", data=data
        )

    # ---- outbound --------------------------------------------------------------------------

    def send(self, account: ChannelAccount, message: Message, recipient: str) -> str:
        last = (
            Message.objects.filter(
                conversation_id=message.conversation_id, sender_type=SenderType.CUSTOMER
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if reply_window_left(last) is None:
            raise SendFailed(
                "reply_window_closed",
                _("WeChat allows replies only within 48 hours of the customer's last message."),
                retryable=False,
            )
        sent: list[str] = []
        for attachment in message.attachments.all():
            if attachment.content_type not in IMAGE_SIGNATURES:
                continue
            with attachment.file.open("rb") as handle:
                content = handle.read()
            media = self._api_call(
                account,
                "POST",
                "/cgi-bin/media/upload",
                params={"type": "image"},
                fields={"media": (attachment.original_name, content, attachment.content_type)},
            )
            self._custom_send(
                account,
                {"touser": recipient, "msgtype": "image",
                 "image": {"media_id": media.get("media_id", "")}},
            )  # fmt: skip
            sent.append("image")
        text = message.body
        for start in range(0, len(text.strip() and text), TEXT_MAX):
            chunk = text[start : start + TEXT_MAX]
            self._custom_send(
                account, {"touser": recipient, "msgtype": "text", "text": {"content": chunk}}
            )
            sent.append("text")
        if not sent:
            raise SendFailed("empty", _("There is nothing to send."), retryable=False)
        return f"{account.pk}:out:{message.pk}"

    def _custom_send(self, account: ChannelAccount, body: dict[str, Any]) -> None:
        try:
            self._api_call(account, "POST", "/cgi-bin/message/custom/send", json=body)
        except ConnectionProblem as exc:
            retryable = exc.code in ("rate_limited", "provider_error", "timeout", "unreachable")
            raise SendFailed(
                exc.code, exc.message, retryable=retryable, retry_after=exc.retry_after
            ) from exc

    # ---- the admin's actions ---------------------------------------------------------------

    def check_connection(self, account: ChannelAccount) -> list[str]:
        cache.delete(_token_key(account))
        self._token(account)
        facts = [_("AppID %(app_id)s: access_token fetched.") % {"app_id": _app_id(account)}]
        if not account.secrets.get("encoding_aes_key"):
            facts.append(_("No EncodingAESKey is saved: safe mode (安全模式) needs it."))
        return facts

    def register_webhook(self, account: ChannelAccount, url: str) -> None:
        raise ConnectionProblem(
            "manual",
            _(
                "WeChat has no API for this: enter the URL and Token in 公众平台 → 开发 → "
                "基本配置 (Settings → Basic configuration) and choose 安全模式 (safe mode)."
            ),
        )

    # ---- the API ---------------------------------------------------------------------------

    def _token(self, account: ChannelAccount, *, fresh: bool = False) -> str:
        key = _token_key(account)
        token = None if fresh else cache.get(key)
        if token:
            return token
        secrets = account.secrets
        if not secrets.get("app_id") or not secrets.get("app_secret"):
            raise ConnectionProblem("no_token", _("No AppID and AppSecret are saved."))
        data = self._json(
            "GET",
            f"{_base()}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": secrets["app_id"],
                "secret": secrets["app_secret"],
            },
        )
        token = data.get("access_token")
        if not token:
            raise _api_problem(data)
        expires = int(data.get("expires_in") or 7200)
        cache.set(key, token, max(60, expires - 300))
        return token

    def _api_call(
        self, account: ChannelAccount, verb: str, path: str, *, params=None, **body: Any
    ) -> dict[str, Any]:
        for attempt in (0, 1):
            token = self._token(account, fresh=attempt == 1)
            data = self._json(
                verb, f"{_base()}{path}", params={**(params or {}), "access_token": token}, **body
            )
            code = data.get("errcode") or 0
            if code in TOKEN_ERRORS and attempt == 0:
                cache.delete(_token_key(account))
                continue
            if code:
                raise _api_problem(data)
            return data
        raise _api_problem(data)

    def _json(self, verb: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http(verb, url, **kwargs)
        try:
            data = response.json()
        except ValueError as exc:
            raise ConnectionProblem("bad_answer", _("WeChat's answer could not be read.")) from exc
        if not isinstance(data, dict):
            raise ConnectionProblem("bad_answer", _("WeChat's answer could not be read."))
        return data

    def _http(self, verb: str, url: str, **kwargs: Any) -> http.Response:
        try:
            return http.request(verb, url, **kwargs)
        except http.HttpStatusError as exc:
            status = exc.status
            code = (
                "rate_limited"
                if status == 429
                else ("provider_error" if status >= 500 else "bad_request")
            )
            problem = ConnectionProblem(
                code, _("WeChat answered %(status)s.") % {"status": status},
                retry_after=exc.retry_after,
            )  # fmt: skip
            raise problem from exc
        except http.OutboundError as exc:
            raise _network_problem(exc) from exc


def _xml(**fields: str | int) -> str:
    """A WeChat XML message: numbers as they are, text in CDATA (a `]]>` inside is split)."""
    inner = "".join(
        f"<{name}>{value}</{name}>"
        if isinstance(value, int)
        else f"<{name}><![CDATA[{value.replace(']]>', ']]]]><![CDATA[>')}]]></{name}>"
        for name, value in fields.items()
    )
    return f"<xml>{inner}</xml>"


def _app_id(account: ChannelAccount) -> str:
    return account.secrets.get("app_id", "")


def _token_key(account: ChannelAccount) -> str:
    return f"wechat:access_token:{account.pk}:{_app_id(account)}"


def _base() -> str:
    return settings.WECHAT_API_BASE.rstrip("/")


def _api_problem(data: dict[str, Any]) -> ConnectionProblem:
    code, detail = data.get("errcode"), data.get("errmsg", "")
    words = {"code": code, "detail": detail}
    if code in (40013, 40125, 40164, 41002, 41004) or code in TOKEN_ERRORS:
        return ConnectionProblem(
            "unauthorized",
            _(
                "WeChat refused the AppID, AppSecret or server address (%(code)s %(detail)s): "
                "check them and the IP whitelist in 公众平台 → 基本配置."
            )
            % words,
        )
    if code in WINDOW_ERRORS:
        return ConnectionProblem(
            "reply_window_closed",
            _("WeChat refused: the 48-hour reply window is over (%(code)s %(detail)s).") % words,
        )
    if code == 45009:
        return ConnectionProblem(
            "rate_limited", _("WeChat's API quota is used up (%(code)s).") % words
        )
    if code == -1:
        return ConnectionProblem("provider_error", _("WeChat is busy (-1): try again later."))
    return ConnectionProblem(
        "bad_request", _("WeChat refused the request (%(code)s %(detail)s).") % words
    )


def _network_problem(exc: http.OutboundError) -> ConnectionProblem:
    messages = {
        "blocked": _(
            "The WeChat API address is private or reserved and not on OUTBOUND_ALLOWLIST: "
            "the request was not sent."
        ),
        "timeout": _("WeChat did not answer in time (timeout)."),
        "tls": _("The secure connection (TLS) to WeChat failed: check the server's clock."),
        "unreachable": _("WeChat cannot be reached: check the server's network, DNS, firewall."),
        "too_large": _("WeChat's answer was larger than allowed."),
    }
    return ConnectionProblem(exc.kind, messages.get(exc.kind, str(exc)))
