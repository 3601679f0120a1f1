"""Reply drafts from the optional language model (issue 13): the agent asks, the model writes,
the agent edits and sends (nothing is sent from here).

`POST /api/v1/conversations/<id>/reply-draft/`: 200 `{"draft": "…"}`; 409 `assist_off` when
ASSIST_LLM_URL is empty; 502 `assist_unavailable` when the endpoint fails; 404 for a conversation
the agent cannot reach (not found and not yours look the same); 429 `rate_limited` per agent
(`RATE_AGENT_REPLY_DRAFTS`).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from desk.kernel import ratelimit
from desk.kernel.errors import DomainError
from tickets.assist import llm


class AssistOff(DomainError):
    code = "assist_off"
    status = 409


class AssistUnavailable(DomainError):
    code = "assist_unavailable"
    status = 502


class ReplyDraftSerializer(serializers.Serializer):
    draft = serializers.CharField(
        help_text="A reply in the customer's language for the agent to edit; never sent."
    )


class ConversationReplyDraftView(AgentView):
    @extend_schema(
        request=None,
        responses={
            200: ReplyDraftSerializer,
            404: OpenApiResponse(description="No such conversation, or not yours."),
            409: OpenApiResponse(description="`assist_off`: no language model is configured."),
            429: OpenApiResponse(description="`rate_limited`: too many drafts; `retry_after`."),
            502: OpenApiResponse(description="`assist_unavailable`: the model did not answer."),
        },
        operation_id="conversations_reply_draft",
        summary="A reply draft from the language model (ASSIST_LLM_URL), for the agent to edit",
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = self.conversation(pk)
        if not llm.enabled():
            raise AssistOff(_("AI drafts are not set up on this desk."))
        ratelimit.enforce(("assist_draft.agent", request.user.pk))
        try:
            draft = llm.reply_draft(conversation)
        except llm.LlmError:
            raise AssistUnavailable(
                _("The AI assistant did not answer. Try again, or write the reply yourself.")
            ) from None
        return Response(ReplyDraftSerializer({"draft": draft}).data)
