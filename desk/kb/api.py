"""The knowledge base for agents under /api/v1/kb/ (session auth, agents only): search, the
suggestions for an open conversation, one article. Agents read published and internal-only
articles; a draft, and a conversation the agent may not see, are "not found" (house rule 8)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from chat.api import AgentView
from desk.kb import selectors
from desk.kb.drafts import kb_article_draft_from_ticket
from desk.kb.search import kb_search
from desk.kb.serializers import (
    ArticleSerializer,
    DraftSerializer,
    HitSerializer,
    SearchQuerySerializer,
    SearchResultsSerializer,
    SuggestionsQuerySerializer,
    SuggestionsSerializer,
)
from desk.models import Audience
from tickets.selectors import ticket_get_for_agent

SEARCH_LIMIT = 10


class KbSearchView(AgentView):
    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses=SearchResultsSerializer,
        operation_id="kb_search",
        summary="Articles matching the words, best first (Chinese segmented, English stemmed)",
    )
    def get(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        hits = kb_search(
            data["q"], audience=Audience.AGENT, language=data["lang"] or None, limit=SEARCH_LIMIT
        )
        return Response({"results": HitSerializer(hits, many=True).data})


class KbSuggestionsView(AgentView):
    @extend_schema(
        parameters=[SuggestionsQuerySerializer],
        responses=SuggestionsSerializer,
        operation_id="kb_suggestions",
        summary="The best three articles for the customer's latest messages in a conversation",
    )
    def get(self, request: Request) -> Response:
        params = SuggestionsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        found, question, hits = selectors.kb_suggestions_for_conversation(
            request.user, params.validated_data["conversation"]
        )
        if not found:
            raise exceptions.NotFound(_("No such conversation."))
        return Response({"question": question, "results": HitSerializer(hits, many=True).data})


class KbArticleView(AgentView):
    @extend_schema(
        responses=ArticleSerializer,
        operation_id="kb_article",
        summary="One article, rendered, with its versions in other languages",
    )
    def get(self, request: Request, pk: int) -> Response:
        article = selectors.kb_article_get_for_agent(request.user, pk)
        if article is None:
            raise exceptions.NotFound(_("No such article."))
        versions = selectors.kb_article_versions(article)
        return Response(ArticleSerializer(article, context={"versions": versions}).data)


class KbDraftView(AgentView):
    @extend_schema(
        request=None,
        responses={
            201: DraftSerializer,
            200: DraftSerializer,
            404: OpenApiResponse(description="No such ticket in the agent's scope."),
            409: OpenApiResponse(description="`ticket_not_resolved`: nothing was written."),
        },
        operation_id="tickets_kb_draft",
        summary="Draft a KB article from a resolved ticket (its draft again on a second call)",
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = ticket_get_for_agent(request.user, pk)
        if ticket is None:
            raise exceptions.NotFound(_("No such ticket."))
        article, created = kb_article_draft_from_ticket(actor=request.user, ticket=ticket)
        data = {
            "article_id": article.pk,
            "title": article.title,
            "status": article.status,
            "language": article.language,
            "created": created,
            "admin_url": reverse("admin:desk_kbarticle_change", args=[article.pk]),
        }
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
