"""The workspace's door to provider channels: send a failed reply again."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from chat.channels.outbound import delivery_retry
from chat.channels.services import whatsapp_template_send
from chat.serializers import MessageSerializer


class MessageRetryView(AgentView):
    @extend_schema(
        request=None,
        responses=MessageSerializer,
        operation_id="conversations_messages_retry",
        summary="Send a reply that failed to reach the customer's channel again",
        description="Only a failed reply of a provider's conversation (Telegram …); it becomes "
        "`pending` and is sent after commit, the workspace hears `message.update`. 409 "
        "`not_retryable` otherwise.",
    )
    def post(self, request: Request, pk: int, message_id: int) -> Response:
        conversation = self.conversation(pk)
        message = delivery_retry(
            actor=request.user, conversation=conversation, message_id=message_id
        )
        return Response(MessageSerializer(message).data)


class WhatsappTemplateView(AgentView):
    @extend_schema(
        request=None,
        responses=MessageSerializer,
        operation_id="conversations_whatsapp_template",
        summary="Send the WhatsApp account's template (the 24-hour window is closed)",
        description="The account's approved template (name, language and parameters set in "
        "the admin; `{{customer.name}}` and `{{agent.name}}` in a parameter are filled for this "
        "conversation), sent like a reply. 409 `not_whatsapp` for another channel's "
        "conversation, 409 `template_parameter_missing` when a parameter's value is empty here "
        "(nothing is sent).",
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        client_msg_id = str(request.data.get("client_msg_id") or "")[:64]
        result = whatsapp_template_send(
            actor=request.user, conversation=conversation, client_msg_id=client_msg_id
        )
        return Response(MessageSerializer(result.message).data)
