from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hallops.accounts.devices import device_revoke
from hallops.accounts.models import ApiToken, Device
from hallops.organisation.access import actor_for_user


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("hint", "user", "name", "hall", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("key_hash", "hint", "created_at")
    ordering = ("-created_at",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Devices are created and paired from the hall's device page; here they can be seen and revoked."""

    list_display = ("pk", "hall", "kind", "counter_number", "name", "paired_at", "last_seen_at", "revoked_at")
    list_filter = ("kind", "hall")
    readonly_fields = (
        "hall",
        "kind",
        "counter_number",
        "user",
        "pairing_code_hash",
        "pairing_expires_at",
        "secret_hash",
        "created_at",
        "paired_at",
        "last_seen_at",
        "revoked_at",
    )
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected devices")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        actor = actor_for_user(request.user, session_ref="admin")
        for device in queryset:
            device_revoke(actor=actor, device=device)
        self.message_user(request, f"{queryset.count()} device(s) revoked")
