from django.contrib import admin

from hallops.alerts.models import Alert, AlertPolicy


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts are raised by the system and handled on the floor view; the admin only shows them."""

    list_display = ("raised_at", "hall", "kind", "severity", "state", "counter", "key")
    list_filter = ("hall", "kind", "severity", "state")
    search_fields = ("key",)
    ordering = ("-raised_at", "-id")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AlertPolicy)
class AlertPolicyAdmin(admin.ModelAdmin):
    list_display = ("hall", "idle_counter_minutes", "critical_percent")
