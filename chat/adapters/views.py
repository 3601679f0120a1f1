"""Provider webhooks: one view for every channel adapter (docs/channels.md).

The view only translates I/O: a rate limit per address, the body bounded, the adapter's verify and
parse, one `inbound_message_receive` per message, the adapter's ack. Nothing is stored unless the
request is verified and every message in it is valid. Each message is stored in its own short
transaction: should one fail (say, the database goes away), the provider's retry of the whole
request stores the rest, and the ones already stored are deduplicated by their provider id.
"""

import logging

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from chat.adapters import app
from chat.adapters.base import ChannelAdapter, WebhookRejected
from chat.inbound import inbound_message_receive
from desk.kernel import body_limits, ratelimit
from desk.kernel.api_errors import ApiError

log = logging.getLogger(__name__)


class ChannelWebhookView(APIView):
    """Open to the internet: the adapter's signature check, not a session, says who is asking."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []  # the adapter reads the raw body it has verified
    adapter: ChannelAdapter

    def post(self, request: Request):
        ratelimit.enforce(("channel_webhook.ip", request.META.get("REMOTE_ADDR") or None))
        http_request = request._request
        # The server and the middleware refuse a larger declared body; this catches one that
        # came chunked through a server that does not (desk/kernel/body_limits.py).
        limit = body_limits.body_limit(http_request.path_info)
        if len(http_request.body) > limit:
            message = _("The request is too large (at most %(size)s).")
            raise ApiError(413, body_limits.REFUSED_CODE, message % {"size": filesizeformat(limit)})
        try:
            self.adapter.verify(http_request)
            messages = self.adapter.parse(http_request)
        except WebhookRejected as exc:  # answered by the API's handler (desk.kernel.errors)
            log.warning(
                "%s webhook refused: %s %s",
                self.adapter.channel,
                exc.code,
                getattr(exc, "fields", ""),
            )
            raise
        results = [inbound_message_receive(message=message) for message in messages]
        return self.adapter.ack_response(results)


class ChannelWebhookAckItemSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The app's message id, as sent.")
    conversation_id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="The message's number in its conversation.")


class ChannelWebhookAckSerializer(serializers.Serializer):
    messages = ChannelWebhookAckItemSerializer(many=True)


class AppWebhookView(ChannelWebhookView):
    adapter = app.AppAdapter()

    @extend_schema(
        request={"application/json": app.AppWebhookSerializer},
        responses={
            200: ChannelWebhookAckSerializer,
            400: OpenApiResponse(description="`invalid_json`, or `invalid` with `fields`."),
            401: OpenApiResponse(
                description="`signature_missing`, `signature_invalid`, `signature_expired`."
            ),
            413: OpenApiResponse(description="`payload_too_large`."),
            429: OpenApiResponse(description="`rate_limited` (see `Retry-After`)."),
            503: OpenApiResponse(description="`channel_disabled`: no `APP_CHANNEL_SECRET`."),
        },
        parameters=[
            OpenApiParameter(
                app.TIMESTAMP_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix time in seconds when the request was signed.",
            ),
            OpenApiParameter(
                app.SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="`sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` under "
                "`APP_CHANNEL_SECRET`.",
            ),
        ],
        summary="Messages from the app's users, posted by the app's backend",
        description=(
            "Each message is stored once per `id` (a redelivery gets the same answer and makes "
            "no second row), in the user's open app conversation (started on first contact). "
            "Inbound only. See docs/channels.md."
        ),
        tags=["channels"],
        auth=[],
    )
    def post(self, request: Request):
        return super().post(request)


class ProviderWebhookView(APIView):
    """`POST /api/channels/v1/<channel>/<account key>/webhook/`: a messaging provider's webhook
    (Telegram now). Verified with the account's secret, the body checked against the provider's
    shape, then stored raw (`chat.channels.inbound.inbound_event_store`, one INSERT, once per
    provider event id) and answered at once; the messages are made by a task after commit.
    Unlike the app channel's webhook, nothing but the raw event is written in the request."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []

    @extend_schema(
        request={"application/json": dict},
        responses={
            200: OpenApiResponse(description='Stored (or already stored): `{"ok": true}`.'),
            400: OpenApiResponse(description="`invalid_json`, or `invalid` with `fields`."),
            401: OpenApiResponse(description="`signature_missing`, `signature_invalid`."),
            404: OpenApiResponse(description="No active account has this key."),
            413: OpenApiResponse(description="`payload_too_large`."),
            429: OpenApiResponse(description="`rate_limited` (see `Retry-After`)."),
            503: OpenApiResponse(description="`channel_disabled`: the account has no secret."),
        },
        operation_id="channels_provider_webhook",
        summary="A messaging provider's updates for one channel account (Telegram)",
        description="See docs/channels.md.",
        tags=["channels"],
        auth=[],
    )
    def post(self, request: Request, channel: str, key: str):
        from chat.channels.inbound import inbound_event_store

        ratelimit.enforce(("channel_webhook.ip", request.META.get("REMOTE_ADDR") or None))
        http_request = request._request
        limit = body_limits.body_limit(http_request.path_info)
        if len(http_request.body) > limit:
            message = _("The request is too large (at most %(size)s).")
            raise ApiError(413, body_limits.REFUSED_CODE, message % {"size": filesizeformat(limit)})
        adapter, account = _adapter_account(channel, key)
        try:
            adapter.verify(http_request, account)
            body = adapter.decode_body(http_request, account)
            event_id = adapter.event_id(body)
        except WebhookRejected as exc:
            log.warning(
                "%s webhook of account %s refused: %s %s",
                channel,
                account.pk,
                exc.code,
                getattr(exc, "fields", ""),
            )
            raise
        headers = {
            name: http_request.headers[name]
            for name in adapter.kept_headers
            if name in http_request.headers
        }
        inbound_event_store(account=account, provider_event_id=event_id, body=body, headers=headers)
        return adapter.ack_response(http_request, account, body)

    @extend_schema(exclude=True)
    def get(self, request: Request, channel: str, key: str):
        """The provider's check of the URL (WeChat's `echostr`, WhatsApp's `hub.challenge`)."""
        ratelimit.enforce(("channel_webhook.ip", request.META.get("REMOTE_ADDR") or None))
        adapter, account = _adapter_account(channel, key)
        try:
            return adapter.challenge(request._request, account)
        except WebhookRejected as exc:
            log.warning("%s URL check of account %s refused: %s", channel, account.pk, exc.code)
            raise


def _adapter_account(channel: str, key: str):
    from chat.channels.models import ChannelAccount
    from chat.channels.registry import ADAPTERS

    adapter = ADAPTERS.get(channel)
    account = (
        ChannelAccount.objects.filter(channel=channel, key=key, is_active=True).first()
        if adapter is not None
        else None
    )
    if account is None:
        raise NotFound(_("No such channel account."))
    return adapter, account
