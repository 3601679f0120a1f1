from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from chat import views as chat_views
from desk import views
from routing import api as routing_api

admin.site.site_header = _("Unidesk administration")
admin.site.site_title = _("Unidesk admin")
admin.site.index_title = _("Configuration")

desk_patterns = [path("", views.workspace, name="workspace")]

api_patterns = [
    path("me/", routing_api.MeView.as_view(), name="me"),
    path("me/presence/", routing_api.MyPresenceView.as_view(), name="me-presence"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:workspace", permanent=False)),
    path("desk/", include((desk_patterns, "desk"))),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("demo/", views.demo_site, name="demo"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "attachments/<int:attachment_id>/<str:signature>/",
        chat_views.attachment_download,
        name="attachment",
    ),
]
