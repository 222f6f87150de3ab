from django.contrib import admin

from hallops.organisation.models import City, Counter, Hall, Region, StaffRole


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")


class CounterInline(admin.TabularInline):
    model = Counter
    fields = ("number", "zone", "services", "status")
    ordering = ("number",)
    readonly_fields = ("status",)
    extra = 0


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "timezone", "open_24h", "opens_at", "closes_at")
    ordering = ("code",)
    search_fields = ("code", "name")
    inlines = [CounterInline]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "hall")
    ordering = ("user__username", "hall__code", "role")
    list_filter = ("role", "hall")
