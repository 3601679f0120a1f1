"""The widget's API, mounted at /api/widget/v1/ (namespace `widget-api`, desk/urls.py) with the
endpoints of the apps above chat (tickets/widget/urls.py)."""

from django.urls import path

from chat.widget import api as widget_api

urlpatterns = [
    path("sessions/", widget_api.SessionView.as_view(), name="session"),
    path("sessions/sign-out/", widget_api.SignOutView.as_view(), name="sign-out"),
    path("attachments/", widget_api.AttachmentView.as_view(), name="attachments"),
    path(
        "attachments/<id:pk>/",
        widget_api.AttachmentDiscardView.as_view(),
        name="attachment-discard",
    ),
    path(
        "conversations/<id:pk>/messages/",
        widget_api.MessagesView.as_view(),
        name="messages",
    ),
]
