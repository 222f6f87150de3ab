from django.contrib import admin

from hallops.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("hint", "user", "name", "hall", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("key_hash", "hint", "created_at")
    ordering = ("-created_at",)
