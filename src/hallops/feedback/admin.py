from django.contrib import admin

from hallops.feedback.models import Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Ratings are given by customers on the pads; the admin only shows them."""

    list_display = ("created_at", "hall", "counter", "agent", "score", "transaction")
    list_filter = ("hall", "score")
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
