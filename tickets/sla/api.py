"""The SLA watch endpoint (session auth, agents only): breached and at-risk tickets and waiting
conversations in the agent's scope (tickets/sla/watch.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from chat import events as chat_events
from chat.api import AgentView
from chat.serializers import ConversationSummarySerializer
from tickets.listing.serializers import TicketRowSerializer, ticket_row_json
from tickets.sla.conversations import conversation_clocks
from tickets.sla.watch import sla_watch


class SlaWatchSerializer(serializers.Serializer):
    tickets = TicketRowSerializer(many=True, help_text="Breached first, then at risk, by due time.")
    conversations = ConversationSummarySerializer(
        many=True, help_text="Waiting conversations past their warning or due time, by due time."
    )
    as_of = serializers.DateTimeField()


class SlaWatchView(AgentView):
    @extend_schema(
        responses=SlaWatchSerializer,
        operation_id="sla_watch",
        summary="Breached and at-risk tickets and waiting conversations in the agent's scope",
    )
    def get(self, request: Request) -> Response:
        watch = sla_watch(request.user)
        clocks = conversation_clocks(watch.conversations, watch.as_of)
        return Response(
            {
                "tickets": [ticket_row_json(ticket) for ticket in watch.tickets],
                "conversations": [
                    chat_events.conversation_json(conv, sla=clocks.get(conv.pk))
                    for conv in watch.conversations
                ],
                "as_of": watch.as_of.isoformat(),
            }
        )
