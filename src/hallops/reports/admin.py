from django.contrib import admin
from django.utils.html import format_html

from hallops.reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Stored reports are produced by the nightly job (or downloaded on demand from the reports page); an
    administrator may delete one so that the job produces it again."""

    list_display = (
        "hall",
        "kind",
        "period_start",
        "period_end",
        "arrivals",
        "served",
        "over_limit",
        "created_at",
        "files",
    )
    list_filter = ("kind", "hall")
    ordering = ("-period_start", "hall")
    exclude = ("xlsx", "pdf")
    readonly_fields = ("files",)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).defer("xlsx", "pdf").select_related("hall")

    @admin.display(description="files")
    def files(self, obj: Report) -> str:
        base = f"/hall/{obj.hall.code}/reports/{obj.pk}/"
        return format_html('<a href="{}xlsx/">XLSX</a> · <a href="{}pdf/">PDF</a>', base, base)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
