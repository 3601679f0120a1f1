"""The widget's ticket endpoints, mounted with chat's widget API at /api/widget/v1/ (namespace
`widget-api`, desk/urls.py)."""

from django.urls import path

from tickets.widget import api

urlpatterns = [
    path("tickets/<id:pk>/", api.TicketView.as_view(), name="ticket"),
    path("menu/<id:pk>/", api.MenuView.as_view(), name="menu"),
    path("tickets/<id:pk>/rating/", api.RatingView.as_view(), name="ticket-rating"),
]
