from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from chat import api as chat_api
from chat import views as chat_views
from chat.assignment import api as offer_api
from chat.channels import api as channels_api
from chat.live import api as live_api
from chat.widget import views as widget_views
from desk.canned import api as canned_api
from desk.kb import api as kb_api
from desk.kb import views as kb_views
from desk.kernel.ids import IdConverter
from desk.notifications import api as notification_api
from desk.workspace import views
from routing import api as routing_api
from tickets import api as tickets_api
from tickets.assist import api as assist_api
from tickets.listing import api as ticket_list_api
from tickets.sla import api as sla_api

# `<id:pk>`: ASCII digits within BIGINT, else 404 (the widget's urls.py use it too).
register_converter(IdConverter, "id")

admin.site.site_header = _("Unidesk administration")
admin.site.site_title = _("Unidesk admin")
admin.site.index_title = _("Configuration")

desk_patterns = [path("", views.workspace, name="workspace")]

api_patterns = [
    path("me/", routing_api.MeView.as_view(), name="me"),
    path("me/presence/", routing_api.MyPresenceView.as_view(), name="me-presence"),
    path("routing/live/", live_api.LiveRoutingView.as_view(), name="routing-live"),
    path("routing/rules/", routing_api.RoutingRuleListView.as_view(), name="routing-rules"),
    path(
        "routing/rules/<id:pk>/",
        routing_api.RoutingRuleDetailView.as_view(),
        name="routing-rule",
    ),
    path("conversations/", chat_api.ConversationListView.as_view(), name="conversations"),
    path(
        "conversations/<id:pk>/",
        tickets_api.ConversationDetailView.as_view(),
        name="conversation",
    ),
    path(
        "conversations/<id:pk>/messages/",
        chat_api.ConversationMessagesView.as_view(),
        name="conversation-messages",
    ),
    path(
        "conversations/<id:pk>/messages/<id:message_id>/retry/",
        channels_api.MessageRetryView.as_view(),
        name="conversation-message-retry",
    ),
    path(
        "conversations/<id:pk>/whatsapp-template/",
        channels_api.WhatsappTemplateView.as_view(),
        name="conversation-whatsapp-template",
    ),
    path(
        "conversations/<id:pk>/attachments/",
        chat_api.ConversationAttachmentsView.as_view(),
        name="conversation-attachments",
    ),
    path(
        "conversations/<id:pk>/attachments/<id:attachment_id>/",
        chat_api.ConversationAttachmentView.as_view(),
        name="conversation-attachment",
    ),
    path(
        "conversations/<id:pk>/assign/",
        chat_api.ConversationAssignView.as_view(),
        name="conversation-assign",
    ),
    path(
        "conversations/<id:pk>/offer/accept/",
        offer_api.OfferAcceptView.as_view(),
        name="conversation-offer-accept",
    ),
    path(
        "conversations/<id:pk>/offer/decline/",
        offer_api.OfferDeclineView.as_view(),
        name="conversation-offer-decline",
    ),
    path(
        "conversations/<id:pk>/transfer/",
        chat_api.ConversationTransferView.as_view(),
        name="conversation-transfer",
    ),
    path(
        "conversations/<id:pk>/close/",
        tickets_api.ConversationCloseView.as_view(),
        name="conversation-close",
    ),
    path(
        "conversations/<id:pk>/reopen/",
        chat_api.ConversationReopenView.as_view(),
        name="conversation-reopen",
    ),
    path(
        "conversations/<id:pk>/ticket-draft/",
        tickets_api.ConversationTicketDraftView.as_view(),
        name="conversation-ticket-draft",
    ),
    path(
        "conversations/<id:pk>/reply-draft/",
        assist_api.ConversationReplyDraftView.as_view(),
        name="conversation-reply-draft",
    ),
    path(
        "conversations/<id:pk>/tickets/",
        tickets_api.ConversationTicketsView.as_view(),
        name="conversation-tickets",
    ),
    path("customers/<id:pk>/", tickets_api.CustomerDetailView.as_view(), name="customer"),
    path("tickets/", ticket_list_api.TicketListView.as_view(), name="tickets"),
    path("tickets/bulk/", ticket_list_api.TicketBulkView.as_view(), name="tickets-bulk"),
    path("tickets/<id:pk>/", tickets_api.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<id:pk>/merge/", ticket_list_api.TicketMergeView.as_view(), name="ticket-merge"),
    path("tickets/<id:pk>/links/", ticket_list_api.TicketLinksView.as_view(), name="ticket-links"),
    path("notifications/", notification_api.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/read/",
        notification_api.NotificationReadView.as_view(),
        name="notifications-read",
    ),
    path("ticket-views/", ticket_list_api.TicketViewsView.as_view(), name="ticket-views"),
    path("sla/watch/", sla_api.SlaWatchView.as_view(), name="sla-watch"),
    path(
        "ticket-views/<id:pk>/",
        ticket_list_api.TicketViewDetailView.as_view(),
        name="ticket-view",
    ),
    path("canned-replies/", canned_api.CannedReplyListView.as_view(), name="canned-replies"),
    path(
        "canned-replies/<id:pk>/",
        canned_api.CannedReplyDetailView.as_view(),
        name="canned-reply",
    ),
    path(
        "canned-replies/<id:pk>/render/",
        canned_api.CannedReplyRenderView.as_view(),
        name="canned-reply-render",
    ),
    path(
        "canned-replies/<id:pk>/uses/",
        canned_api.CannedReplyUseView.as_view(),
        name="canned-reply-uses",
    ),
    path("kb/search/", kb_api.KbSearchView.as_view(), name="kb-search"),
    path("kb/suggestions/", kb_api.KbSuggestionsView.as_view(), name="kb-suggestions"),
    path("kb/articles/<id:pk>/", kb_api.KbArticleView.as_view(), name="kb-article"),
    path("tickets/<id:pk>/kb-draft/", kb_api.KbDraftView.as_view(), name="ticket-kb-draft"),
    path(
        "tickets/<id:pk>/replies/",
        tickets_api.TicketRepliesView.as_view(),
        name="ticket-replies",
    ),
]

# The widget's API, one namespace: chat's endpoints and those of the apps above chat, which use
# chat's widget authentication (tickets is above chat, so chat cannot mount them itself).
widget_api_patterns = [
    path("", include("chat.widget.urls")),
    path("", include("tickets.widget.urls")),
    path("", include("desk.kb.widget_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:workspace", permanent=False)),
    path("desk/", include((desk_patterns, "desk"))),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/widget/v1/", include((widget_api_patterns, "widget-api"))),
    path("api/channels/v1/", include(("chat.adapters.urls", "channels-api"))),
    path("widget/frame/", widget_views.widget_frame, name="widget-frame"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("help/articles/<id:pk>/", kb_views.article_public, name="kb-article-public"),
    path("demo/", views.demo_site, name="demo"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "attachments/<id:attachment_id>/<str:signature>/",
        chat_views.attachment_download,
        name="attachment",
    ),
]

# Under /api/ these answer the API's JSON error shape; elsewhere Django's HTML pages.
handler400 = "desk.kernel.api_errors.bad_request"
handler403 = "desk.kernel.api_errors.permission_denied"
handler404 = "desk.kernel.api_errors.page_not_found"
handler500 = "desk.kernel.api_errors.server_error"
