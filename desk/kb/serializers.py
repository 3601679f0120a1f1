"""The knowledge base API's shapes (desk/kb/api.py)."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from desk.kb.search import MAX_QUERY, Hit
from desk.kernel.ids import IdField
from desk.models import ArticleStatus, KbArticle, Language

ANSWER_CHARS = 1500  # of the plain text inserted into a reply


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        max_length=MAX_QUERY,
        default="",
        help_text="Words in Chinese or English (an empty query finds nothing).",
    )
    lang = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Only articles in this language; all languages when empty.",
    )


class SuggestionsQuerySerializer(serializers.Serializer):
    conversation = IdField(help_text="The open conversation whose customer asks.")


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def answer_text(article: KbArticle) -> str:
    """The article's plain text, cut at a paragraph within ANSWER_CHARS."""
    text = article.body_text
    if len(text) <= ANSWER_CHARS:
        return text
    cut = text.rfind("\n\n", 0, ANSWER_CHARS)
    return (text[:cut] if cut > 0 else text[: ANSWER_CHARS - 1]).rstrip() + "…"


def public_url(article: KbArticle) -> str | None:
    if article.status != ArticleStatus.PUBLISHED:
        return None
    return reverse("kb-article-public", args=[article.pk])


class ArticleSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    status = serializers.ChoiceField(choices=ArticleStatus.choices)
    category = CategoryRefSerializer()
    tags = serializers.ListField(child=serializers.CharField())
    answer = serializers.CharField(help_text="Plain text to insert into a reply.")
    url = serializers.CharField(
        allow_null=True,
        help_text="The page customers can open (site-relative); null for internal-only.",
    )

    def to_representation(self, instance: KbArticle) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "title": instance.title,
            "language": instance.language,
            "status": instance.status,
            "category": {"id": instance.category_id, "name": str(instance.category.name)},
            "tags": instance.tag_list,
            "answer": answer_text(instance),
            "url": public_url(instance),
        }


class HitSerializer(ArticleSummarySerializer):
    score = serializers.FloatField()
    snippet_html = serializers.CharField(
        help_text="Escaped text around the matches, each match in <mark>."
    )

    def to_representation(self, instance: Hit) -> dict[str, Any]:
        return {
            **super().to_representation(instance.article),
            "score": instance.score,
            "snippet_html": instance.snippet_html,
        }


class SearchResultsSerializer(serializers.Serializer):
    results = HitSerializer(many=True)


class SuggestionsSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The customer's latest words that were searched.")
    results = HitSerializer(many=True)


class VersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)


class ArticleSerializer(ArticleSummarySerializer):
    body_html = serializers.CharField(help_text="The Markdown rendered and sanitised.")
    versions = VersionSerializer(many=True, help_text="The article in its other languages.")
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: KbArticle) -> dict[str, Any]:
        versions = self.context.get("versions", [])
        return {
            **super().to_representation(instance),
            "body_html": instance.body_html,
            "versions": [{"id": v.pk, "title": v.title, "language": v.language} for v in versions],
            "updated_at": serializers.DateTimeField().to_representation(instance.updated_at),
        }


class DraftSerializer(serializers.Serializer):
    article_id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ArticleStatus.choices)
    language = serializers.ChoiceField(choices=Language.choices)
    created = serializers.BooleanField(help_text="False: the ticket's draft from an earlier call.")
    admin_url = serializers.CharField(
        help_text="The admin page where the draft is edited and published."
    )
