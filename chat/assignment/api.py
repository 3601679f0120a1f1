"""The agent's answer to an offered conversation (offer mode, chat/assignment/offers.py)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from chat.assignment import offers, selectors
from chat.models import Conversation
from chat.serializers import ConversationSummarySerializer


class OfferView(AgentView):
    def offered(self, pk: int) -> Conversation:
        conversation = selectors.conversation_for_offer(self.request.user, pk)
        if conversation is None:
            raise exceptions.NotFound(_("No such conversation."))
        return conversation


class OfferAcceptView(OfferView):
    @extend_schema(
        request=None,
        responses=ConversationSummarySerializer,
        operation_id="conversations_offer_accept",
        summary="Accept the conversation offered to you: it is assigned to you",
    )
    def post(self, request: Request, pk: int) -> Response:
        taken = offers.offer_accept(actor=request.user, conversation=self.offered(pk))
        return Response(ConversationSummarySerializer(taken).data)


class OfferDeclineView(OfferView):
    @extend_schema(
        request=None,
        responses={204: None},
        operation_id="conversations_offer_decline",
        summary="Decline the conversation offered to you: it is offered to the next agent",
    )
    def post(self, request: Request, pk: int) -> Response:
        offers.offer_decline(actor=request.user, conversation=self.offered(pk))
        return Response(status=204)
