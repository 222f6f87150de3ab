from django.contrib import admin

from hallops.booking.models import Booking, SlotCapacity


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings change only through the services (the customer's page, the kiosk, the greeter, the job)."""

    list_display = ("hall", "slot_start", "service", "state", "ticket")
    list_filter = ("hall", "state", "day")
    ordering = ("-slot_start", "-id")
    exclude = ("phone", "code")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SlotCapacity)
class SlotCapacityAdmin(admin.ModelAdmin):
    """Bookings per 30-minute slot and business type; a hall and type not listed here take 2."""

    list_display = ("hall", "service", "capacity")
    list_filter = ("hall",)
