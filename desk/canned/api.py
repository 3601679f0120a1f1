"""Canned replies for the composer under /api/v1/canned-replies/ (session auth, agents only):
list the ones the agent may use, ranked for where they are writing; one rendered with its
variables filled; count a use; create, change and delete the agent's personal replies.

Another agent's personal reply, a team reply of another team, and a conversation or ticket the
agent may not see are all "not found" (house rule 8).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from desk.canned import rendering, selectors, services
from desk.canned.serializers import (
    CannedReplyListSerializer,
    CannedReplyQuerySerializer,
    CannedReplySerializer,
    PersonalReplySerializer,
    RenderedSerializer,
    ReplyContextSerializer,
    UseSerializer,
)
from desk.canned.topics import ReplyContext, reply_context_for_agent
from desk.models import CannedReply


class CannedReplyView(AgentView):
    def reply(self, pk: int, *, mine: bool = False) -> CannedReply:
        reply = selectors.canned_reply_get_for_agent(self.request.user, pk)
        if reply is None or (mine and reply.owner_id != self.request.user.pk):
            raise exceptions.NotFound(_("No such canned reply."))
        return reply

    def context_from(self, data: dict) -> ReplyContext:
        return reply_context_for_agent(
            self.request.user,
            conversation_id=data.get("conversation"),
            ticket_id=data.get("ticket"),
        )

    def output(self, reply: CannedReply, **kwargs) -> dict:
        return CannedReplySerializer(reply, context={"user": self.request.user}, **kwargs).data


class CannedReplyListView(CannedReplyView):
    @extend_schema(
        parameters=[CannedReplyQuerySerializer],
        responses=CannedReplyListSerializer,
        operation_id="canned_replies_list",
        summary="The canned replies the agent may use, matching q, most used for the topic first",
    )
    def get(self, request: Request) -> Response:
        params = CannedReplyQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        rows = selectors.canned_replies_ranked(
            request.user, self.context_from(data), q=data.get("q", ""), limit=data["limit"]
        )
        results = CannedReplySerializer(rows, many=True, context={"user": request.user}).data
        return Response({"results": results})

    @extend_schema(
        request=PersonalReplySerializer,
        responses={201: CannedReplySerializer},
        operation_id="canned_replies_create",
        summary="Make a personal canned reply",
    )
    def post(self, request: Request) -> Response:
        payload = PersonalReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reply = services.canned_reply_create_personal(
            actor=request.user, data=payload.validated_data
        )
        return Response(self.output(reply), status=status.HTTP_201_CREATED)


class CannedReplyDetailView(CannedReplyView):
    @extend_schema(
        request=PersonalReplySerializer,
        responses=CannedReplySerializer,
        operation_id="canned_replies_update",
        summary="Change one of the agent's personal canned replies",
    )
    def patch(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk, mine=True)
        payload = PersonalReplySerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        reply = services.canned_reply_update_personal(
            actor=request.user, reply=reply, data=payload.validated_data
        )
        return Response(self.output(reply))

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted.")},
        operation_id="canned_replies_delete",
        summary="Delete one of the agent's personal canned replies",
    )
    def delete(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk, mine=True)
        services.canned_reply_delete_personal(actor=request.user, reply=reply)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CannedReplyRenderView(CannedReplyView):
    @extend_schema(
        parameters=[ReplyContextSerializer],
        responses=RenderedSerializer,
        operation_id="canned_replies_render",
        summary="The reply as plain text, its variables filled from the customer and ticket",
    )
    def get(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk)
        params = ReplyContextSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rendered = rendering.canned_reply_render(
            reply.body, self.context_from(params.validated_data)
        )
        return Response(
            {
                "id": reply.pk,
                "shortcut": reply.shortcut,
                "body": rendered.body,
                "unfilled": rendered.unfilled,
            }
        )


class CannedReplyUseView(CannedReplyView):
    @extend_schema(
        request=ReplyContextSerializer,
        responses=UseSerializer,
        operation_id="canned_replies_use",
        summary="Count one use of the reply, for the topic of where it was used",
    )
    def post(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk)
        payload = ReplyContextSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        count = services.canned_reply_use(
            actor=request.user, reply=reply, context=self.context_from(payload.validated_data)
        )
        return Response({"usage_count": count})
