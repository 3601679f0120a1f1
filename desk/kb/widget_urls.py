"""The widget's help endpoints, mounted with chat's widget API at /api/widget/v1/ (namespace
`widget-api`, desk/urls.py)."""

from django.urls import path

from desk.kb import widget_api

urlpatterns = [
    path("kb/search/", widget_api.KbSearchView.as_view(), name="kb-search"),
    path(
        "kb/articles/<id:pk>/views/",
        widget_api.KbArticleViewView.as_view(),
        name="kb-article-view",
    ),
    path("kb/views/<id:pk>/vote/", widget_api.KbVoteView.as_view(), name="kb-vote"),
]
