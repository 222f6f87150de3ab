from django.contrib import admin

from hallops.hall.models import HallEvent, ServiceTransaction, Ticket


class ReadOnlyAdmin(admin.ModelAdmin):
    """Hall records change only through the services; the admin shows them."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "hall", "day", "service", "priority", "status", "issued_at")
    ordering = ("-issued_at", "-id")
    list_filter = ("hall", "status", "day")
    exclude = ("phone", "token")


@admin.register(ServiceTransaction)
class ServiceTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "hall", "counter", "ticket", "service", "phase", "outcome", "service_seconds")
    ordering = ("-called_at", "-id")
    list_filter = ("hall", "outcome")


@admin.register(HallEvent)
class HallEventAdmin(ReadOnlyAdmin):
    list_display = ("hall", "seq", "at", "kind", "ticket", "counter")
    ordering = ("hall", "-seq")
    list_filter = ("hall", "kind")
