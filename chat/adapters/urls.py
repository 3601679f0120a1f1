"""Provider webhooks under /api/channels/v1/ (docs/channels.md): one path per channel."""

from django.urls import path

from chat.adapters import views

urlpatterns = [
    path("app/webhook/", views.AppWebhookView.as_view(), name="app-webhook"),
    # messaging providers, one URL per channel account (chat/channels): Telegram now
    path(
        "<slug:channel>/<str:key>/webhook/",
        views.ProviderWebhookView.as_view(),
        name="provider-webhook",
    ),
]
