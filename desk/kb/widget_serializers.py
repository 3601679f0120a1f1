"""The shapes of the widget's help endpoints (desk/kb/widget_api.py)."""

from typing import Any

from rest_framework import serializers

from desk.kb.search import MAX_QUERY, Hit
from desk.models import ArticleView, KbArticle, Language


class WidgetKbSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        max_length=MAX_QUERY,
        default="",
        help_text="Words in Chinese or English, at most 200 characters (empty finds nothing).",
    )
    lang = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        default=Language.ZH_HANS,
        help_text="The widget's language: its articles come first, then the other language's.",
    )


class WidgetKbHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    snippet_html = serializers.CharField(
        help_text="Escaped text around the matches, each match in <mark>; nothing else."
    )

    def to_representation(self, instance: Hit) -> dict[str, Any]:
        return {
            "id": instance.article.pk,
            "title": instance.article.title,
            "language": instance.article.language,
            "snippet_html": instance.snippet_html,
        }


class WidgetKbSearchResultsSerializer(serializers.Serializer):
    results = WidgetKbHitSerializer(many=True)


class WidgetKbArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    body_html = serializers.CharField(
        help_text="The Markdown rendered with raw HTML off, then cleaned by nh3."
    )

    def to_representation(self, instance: KbArticle) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "title": instance.title,
            "language": instance.language,
            "body_html": instance.body_html,
        }


class WidgetKbViewSerializer(serializers.Serializer):
    view_id = serializers.IntegerField(help_text="Send the vote to this view.")
    article = WidgetKbArticleSerializer()

    def to_representation(self, instance: ArticleView) -> dict[str, Any]:
        return {
            "view_id": instance.pk,
            "article": WidgetKbArticleSerializer(instance.article).data,
        }


class WidgetKbVoteRequestSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="有帮助 (true) or 没帮助 (false).")


class WidgetKbVoteSerializer(serializers.Serializer):
    view_id = serializers.IntegerField()
    helpful = serializers.BooleanField()
