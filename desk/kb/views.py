"""The page of a published article that anyone with its link can read (what an agent sends a
customer). Drafts and internal-only articles are not found."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from desk.kb.search import kb_articles_for
from desk.models import Audience


def article_public(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(
        kb_articles_for(Audience.CUSTOMER).select_related("category"), pk=pk
    )
    return render(request, "kb/article.html", {"article": article})
