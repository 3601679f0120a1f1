"""The signed-in agent: who am I, and set my presence."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from routing import selectors, services
from routing.models import AgentProfile
from routing.serializers import AgentProfileSerializer, PresenceSerializer


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
