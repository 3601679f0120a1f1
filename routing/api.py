"""The signed-in agent (who am I, set my presence) and the supervisors' routing rules."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from desk.kernel import access
from routing import rule_services, selectors, services
from routing.models import AgentProfile, RoutingRule
from routing.serializers import AgentProfileSerializer, PresenceSerializer, RoutingRuleSerializer


def _own_profile(request: Request) -> AgentProfile:
    profile = selectors.agent_profile_for_user(request.user)
    if profile is None:
        raise exceptions.PermissionDenied(_("Only agents have a workspace profile."))
    return profile


class MeView(APIView):
    @extend_schema(responses=AgentProfileSerializer, summary="The signed-in agent")
    def get(self, request: Request) -> Response:
        return Response(AgentProfileSerializer(_own_profile(request)).data)


class MyPresenceView(APIView):
    @extend_schema(
        request=PresenceSerializer,
        responses=AgentProfileSerializer,
        summary="Set the signed-in agent's presence",
    )
    def put(self, request: Request) -> Response:
        profile = _own_profile(request)
        payload = PresenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        profile = services.agent_set_presence(
            actor=request.user, profile=profile, presence=payload.validated_data["presence"]
        )
        return Response(AgentProfileSerializer(profile).data)


# ---- routing rules, for supervisors (issue 12) ------------------------------------------------


class IsSupervisor(BasePermission):
    """Supervisors only; an agent who is not one gets 403."""

    def has_permission(self, request, view) -> bool:
        if not access.is_supervisor(request.user):
            raise exceptions.PermissionDenied(_("Only supervisors may change routing rules."))
        return True


class SupervisorView(APIView):
    permission_classes = [*APIView.permission_classes, IsSupervisor]

    def rule(self, pk: int) -> RoutingRule:
        rule = RoutingRule.objects.select_related("team", "skill").filter(pk=pk).first()
        if rule is None:
            raise exceptions.NotFound(_("No such routing rule."))
        return rule


class RoutingRuleListView(SupervisorView):
    @extend_schema(
        responses=RoutingRuleSerializer(many=True),
        operation_id="routing_rules_list",
        summary="Routing rules, in the order they are tried",
    )
    def get(self, request: Request) -> Response:
        rules = RoutingRule.objects.select_related("team", "skill").order_by("position", "pk")
        return Response(RoutingRuleSerializer(rules, many=True).data)

    @extend_schema(
        request=RoutingRuleSerializer,
        responses={201: RoutingRuleSerializer},
        operation_id="routing_rules_create",
        summary="Add a routing rule",
    )
    def post(self, request: Request) -> Response:
        payload = RoutingRuleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rule = rule_services.routing_rule_create(actor=request.user, data=payload.validated_data)
        return Response(RoutingRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RoutingRuleDetailView(SupervisorView):
    @extend_schema(
        responses=RoutingRuleSerializer,
        operation_id="routing_rules_retrieve",
        summary="One routing rule",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(RoutingRuleSerializer(self.rule(pk)).data)

    @extend_schema(
        request=RoutingRuleSerializer,
        responses=RoutingRuleSerializer,
        operation_id="routing_rules_update",
        summary="Replace a routing rule",
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=RoutingRuleSerializer,
        responses=RoutingRuleSerializer,
        operation_id="routing_rules_partial_update",
        summary="Change some fields of a routing rule",
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        rule = self.rule(pk)
        payload = RoutingRuleSerializer(rule, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        rule = rule_services.routing_rule_update(
            actor=request.user, rule=rule, changes=payload.validated_data
        )
        return Response(RoutingRuleSerializer(rule).data)

    @extend_schema(
        responses={204: None}, operation_id="routing_rules_destroy", summary="Delete a routing rule"
    )
    def delete(self, request: Request, pk: int) -> Response:
        rule_services.routing_rule_delete(actor=request.user, rule=self.rule(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
