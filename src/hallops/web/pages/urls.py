"""URLs under /hall/<code>/: each screen module adds its own lines here."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
