from django.contrib.auth import views as auth_views
from django.urls import include, path

from hallops.web import views
from hallops.web.pages import ticket

urlpatterns = [
    path("t/<slug:token>/", ticket.ticket_page, name="ticket-page"),
    path("t/<slug:token>/status/", ticket.ticket_status, name="ticket-status"),
    path("t/<slug:token>/cancel/", ticket.ticket_cancel, name="ticket-cancel"),
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("pair/", views.pair, name="pair"),
    path("hall/<slug:code>/", include("hallops.web.pages.urls")),
]
