from django.contrib import admin
from django.urls import include, path

from hallops.api.v1 import api
from hallops.web.pages.dashboard import region_dashboard

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("region/<slug:code>/dashboard/", region_dashboard, name="region-dashboard"),
    path("", include("hallops.web.urls")),
]
