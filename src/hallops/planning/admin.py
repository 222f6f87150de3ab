from django.contrib import admin

from hallops.planning.models import Plan, WhatIfRun


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans are made by the nightly job, the demo, ``hallops plan`` or the planning page; read-only here."""

    list_display = (
        "hall",
        "day",
        "source",
        "method",
        "forecast_arrivals",
        "counter_hours",
        "staff_hours",
        "uncovered",
        "created_at",
    )
    list_filter = ("hall", "source")
    ordering = ("-day", "-created_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WhatIfRun)
class WhatIfRunAdmin(admin.ModelAdmin):
    list_display = ("hall", "day", "preset", "state", "done", "total", "created_by", "created_at")
    list_filter = ("hall", "state")
    ordering = ("-created_at",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
