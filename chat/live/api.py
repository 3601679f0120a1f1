"""GET /api/v1/routing/live/: the supervisors' Live view (session auth; agents who are not
supervisors get 403). The page reads it again on a `routing.changed` push and every 15 s."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from chat.live.selectors import can_see_live, live_routing
from chat.live.serializers import LiveQuerySerializer, LiveRoutingSerializer, live_json


class IsSupervisor(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not can_see_live(request.user):
            raise exceptions.PermissionDenied(_("Only supervisors may see the live view."))
        return True


class LiveRoutingView(AgentView):
    permission_classes = [*AgentView.permission_classes, IsSupervisor]

    @extend_schema(
        parameters=[LiveQuerySerializer],
        responses=LiveRoutingSerializer,
        operation_id="routing_live",
        summary="The waiting queue and every agent's presence and load (supervisors)",
    )
    def get(self, request: Request) -> Response:
        query = LiveQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(live_json(live_routing(team=query.validated_data.get("team"))))
