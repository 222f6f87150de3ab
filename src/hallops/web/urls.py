from django.contrib.auth import views as auth_views
from django.urls import include, path

from hallops.web import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("pair/", views.pair, name="pair"),
    path("hall/<slug:code>/", include("hallops.web.pages.urls")),
]
