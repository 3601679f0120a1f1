"""The widget's help (self-service) under /api/widget/v1/kb/: search the published articles, open
one (which records the view), and say whether it helped.

They authenticate like every widget endpoint (`WidgetView`, chat/widget/api.py: the visitor
token, 403 `invalid_token`), share one rate limit per visitor (`kb.visitor`, 429
`rate_limited`), and see published articles only: a draft, internal-only or archived article is
404 like one that does not exist; so is another visitor's view.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from chat.models import WidgetVisitor
from chat.widget.api import TOKEN_PARAMETER, WidgetView
from desk.kb import deflection
from desk.kb.selectors import kb_search_for_customer
from desk.kb.widget_serializers import (
    WidgetKbHitSerializer,
    WidgetKbSearchQuerySerializer,
    WidgetKbSearchResultsSerializer,
    WidgetKbViewSerializer,
    WidgetKbVoteRequestSerializer,
    WidgetKbVoteSerializer,
)
from desk.kernel import ratelimit
from desk.kernel.api_errors import ApiError
from desk.kernel.json_input import JsonParser

RESULTS = 8


class HelpView(WidgetView):
    def visitor(self, request: Request, **kwargs: object) -> WidgetVisitor:
        visitor = super().visitor(request, **kwargs)
        ratelimit.enforce(("kb.visitor", visitor.pk))
        return visitor


class KbSearchView(HelpView):
    @extend_schema(
        parameters=[TOKEN_PARAMETER, WidgetKbSearchQuerySerializer],
        responses=WidgetKbSearchResultsSerializer,
        operation_id="widget_kb_search",
        summary="Search the published help articles, the widget's language first",
        description=(
            "Best first, at most 8. 400 `invalid` when `q` is over 200 characters; 403 "
            "`invalid_token`; 429 `rate_limited`."
        ),
        tags=["widget"],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        self.visitor(request)
        params = WidgetKbSearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        hits = kb_search_for_customer(data["q"], language=data["lang"], limit=RESULTS)
        return Response({"results": WidgetKbHitSerializer(hits, many=True).data})


class KbArticleViewView(HelpView):
    @extend_schema(
        request=None,
        parameters=[TOKEN_PARAMETER],
        responses={201: WidgetKbViewSerializer},
        operation_id="widget_kb_article_view",
        summary="Open a published article: its sanitised HTML, and the view recorded",
        description=(
            "Records who read it and whether they had an open chat (self-service statistics). "
            "404 `not_found` for anything but a published article; 403 `invalid_token`; 429 "
            "`rate_limited`."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request, pk: int) -> Response:
        visitor = self.visitor(request)
        article = deflection.kb_article_get_for_customer(pk)
        if article is None:
            raise ApiError(404, "not_found", _("No such article."))
        view = deflection.kb_article_view_record(visitor=visitor, article=article)
        return Response(WidgetKbViewSerializer(view).data, status=status.HTTP_201_CREATED)


class KbVoteView(HelpView):
    parser_classes = [JsonParser]

    @extend_schema(
        request=WidgetKbVoteRequestSerializer,
        parameters=[TOKEN_PARAMETER],
        responses=WidgetKbVoteSerializer,
        operation_id="widget_kb_vote",
        summary="Was this article helpful? The visitor's answer on their own view",
        description=(
            "A second answer replaces the first. 404 `not_found` for another visitor's view; "
            "400 `invalid`; 403 `invalid_token`; 429 `rate_limited`."
        ),
        tags=["widget"],
        auth=[],
    )
    def post(self, request: Request, pk: int) -> Response:
        visitor = self.visitor(request)
        payload = WidgetKbVoteRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        view = deflection.kb_article_view_vote(
            visitor=visitor, view_id=pk, helpful=payload.validated_data["helpful"]
        )
        if view is None:
            raise ApiError(404, "not_found", _("No such article view."))
        return Response({"view_id": view.pk, "helpful": view.helpful})
