from django.contrib import admin

from hallops.catalog.models import BusinessType


@admin.register(BusinessType)
class BusinessTypeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "prefix",
        "complexity",
        "limit_minutes",
        "kiosk",
        "forced_self_service",
        "pre_acceptance",
        "active",
    )
    list_filter = ("complexity", "forced_self_service", "pre_acceptance", "active")
    ordering = ("code",)
