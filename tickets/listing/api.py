"""The ticket list, saved views, bulk actions, merge and links (session auth, agents only).

Views parse input, resolve tickets through the agent's scope (not found and not yours look the
same), call one selector or service, and serialise. Errors use the house shape.
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from desk.kernel.choices import Priority
from desk.kernel.paging import search_cursor
from routing import selectors as routing_selectors
from tickets import services
from tickets.api import ERRORS, TicketView
from tickets.events import ticket_json
from tickets.listing import selectors as list_selectors
from tickets.listing import services as list_services
from tickets.listing.serializers import (
    TAG_MAX,
    BulkResultsSerializer,
    BulkSerializer,
    LinkResultSerializer,
    LinkSerializer,
    MergeSerializer,
    TicketFilterSerializer,
    TicketListQuerySerializer,
    TicketPageSerializer,
    TicketRowSerializer,
    TicketViewSerializer,
    encode_cursor,
    list_query,
)
from tickets.models import TicketStatus
from tickets.serializers import TicketSummarySerializer


class TicketListView(AgentView):
    @extend_schema(
        parameters=[TicketListQuerySerializer],
        responses={200: TicketPageSerializer, 400: ERRORS[400]},
        operation_id="tickets_list",
        summary="The tickets in the agent's scope, filtered and sorted (keyset pages), or the "
        "best matches of a search",
    )
    def get(self, request: Request) -> Response:
        params = TicketListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        query = list_query(data)
        if query.q:
            rows, next_offset = list_selectors.tickets_search(
                request.user, query, limit=data["limit"], offset=data.get("search_offset", 0)
            )
            cursor = search_cursor(next_offset)
        else:
            rows, next_key = list_selectors.tickets_page(
                list_selectors.tickets_list(request.user, query),
                sort=query.sort,
                after=data.get("cursor"),
                limit=data["limit"],
            )
            cursor = encode_cursor(query.sort, next_key) if next_key else None
        return Response(
            {"results": TicketRowSerializer(rows, many=True).data, "next_cursor": cursor}
        )


# ---- saved views --------------------------------------------------------------------------


def _view_filters(filters: Any) -> dict[str, Any]:
    checked = TicketFilterSerializer(data=filters)
    if not checked.is_valid():
        raise serializers.ValidationError({"filters": checked.errors})
    return checked.stored()


class TicketViewsView(AgentView):
    @extend_schema(
        responses=TicketViewSerializer(many=True),
        operation_id="ticket_views_list",
        summary="The agent's saved ticket views, in order",
    )
    def get(self, request: Request) -> Response:
        views = list_selectors.ticket_views_for_agent(request.user)
        return Response(TicketViewSerializer(views, many=True).data)

    @extend_schema(
        request=TicketViewSerializer,
        responses={201: TicketViewSerializer, 400: ERRORS[400]},
        operation_id="ticket_views_create",
        summary="Save list filters under a name (`name_taken` if the agent has that name)",
    )
    def post(self, request: Request) -> Response:
        payload = TicketViewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        filters = _view_filters(payload.validated_data["filters"])
        view = list_services.ticket_view_create(
            actor=request.user, name=payload.validated_data["name"], filters=filters
        )
        return Response(TicketViewSerializer(view).data, status=status.HTTP_201_CREATED)


class TicketViewDetailView(AgentView):
    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such view, or not yours.")},
        operation_id="ticket_views_delete",
        summary="Delete one of the agent's saved views",
    )
    def delete(self, request: Request, pk: int) -> Response:
        view = list_selectors.ticket_view_get_for_agent(request.user, pk)
        if view is None:
            raise exceptions.NotFound(_("No such view."))
        list_services.ticket_view_delete(actor=request.user, view=view)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- bulk ---------------------------------------------------------------------------------


def _invalid_value(message: str) -> serializers.ValidationError:
    return serializers.ValidationError({"value": [message]})


def _bulk_value(request: Request, action: str, value: Any) -> Any:
    """The action's value as the services take it; 400 before anything changes if it is wrong."""
    if action == "assign":
        if value is None or value == "none":
            return None
        if value == "me":
            return request.user
        if isinstance(value, int) and not isinstance(value, bool):
            profile = routing_selectors.agent_for_user_id(value)
            if profile is not None:
                return profile.user
        raise _invalid_value(_("No such agent."))
    if action == "status":
        if value in TicketStatus.values:
            return value
        raise _invalid_value(_("No such status."))
    if action == "priority":
        if value in Priority.values and not isinstance(value, bool):
            return value
        raise _invalid_value(_("No such priority."))
    if isinstance(value, str) and value.strip() and len(value.strip()) <= TAG_MAX:
        return value.strip()
    raise _invalid_value(_("Give a tag name of at most %(n)s characters.") % {"n": TAG_MAX})


class TicketBulkView(AgentView):
    @extend_schema(
        request=BulkSerializer,
        responses={200: BulkResultsSerializer, 400: ERRORS[400]},
        operation_id="tickets_bulk",
        summary="Assign, set status or priority, or add a tag on up to 100 tickets",
        description=(
            "Each ticket changes (or not) on its own: the answer has one result per id, with the "
            "refusal's `code` (`not_found`, `invalid_transition`, `ticket_merged`, …)."
        ),
    )
    def post(self, request: Request) -> Response:
        payload = BulkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        results = list_services.tickets_bulk_apply(
            actor=request.user,
            ticket_ids=data["ids"],
            action=data["action"],
            value=_bulk_value(request, data["action"], data["value"]),
        )
        return Response({"results": BulkResultsSerializer({"results": results}).data["results"]})


# ---- merge and links ----------------------------------------------------------------------


class TicketMergeView(TicketView):
    @extend_schema(
        request=MergeSerializer,
        responses={
            200: TicketSummarySerializer,
            **ERRORS,
            409: OpenApiResponse(description="`merge_into_closed` or `ticket_merged`."),
        },
        operation_id="tickets_merge",
        summary="Merge this ticket into another one (it is closed; the target gets its thread)",
    )
    def post(self, request: Request, pk: int) -> Response:
        source = self.ticket(pk)
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = self.ticket(payload.validated_data["into"])
        merged = services.ticket_merge(actor=request.user, source=source, target=target)
        return Response(ticket_json(merged))


class TicketLinksView(TicketView):
    @extend_schema(
        request=LinkSerializer,
        responses={201: LinkResultSerializer, 200: LinkResultSerializer, **ERRORS},
        operation_id="tickets_links_create",
        summary="Mark two tickets as related (201; 200 with `linked: false` if they were)",
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = self.ticket(pk)
        payload = LinkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        other = self.ticket(payload.validated_data["other"])
        linked = services.ticket_link(actor=request.user, ticket=ticket, other=other)
        return Response({"linked": linked}, status=201 if linked else 200)
