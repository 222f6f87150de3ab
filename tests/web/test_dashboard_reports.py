"""The reports page: stored reports listed with their files, on-demand downloads, hall scoping."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from hallops.reports.services import report_generate
from tests.factories import Setup
from tests.reports.history import TZ, load_history
from tests.web.hall_screens_helpers import staff_client

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 3, 11)


def test_stored_reports_are_listed_and_downloadable(setup: Setup) -> None:
    load_history(setup.hall, MONDAY, 2)
    report = report_generate(hall=setup.hall, kind="daily", day=MONDAY, at=dt.datetime(2024, 3, 12, 3, tzinfo=TZ))
    client = staff_client(setup, "auditor")
    html = client.get("/hall/h1/reports/").content.decode()
    assert f'href="/hall/h1/reports/{report.pk}/xlsx/"' in html and f'href="/hall/h1/reports/{report.pk}/pdf/"' in html
    xlsx = client.get(f"/hall/h1/reports/{report.pk}/xlsx/")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert xlsx["Content-Disposition"] == 'attachment; filename="hallops-h1-daily-2024-03-11.xlsx"'
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["B2"].value == "2024-03-11"
    pdf = client.get(f"/hall/h1/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert client.get(f"/hall/h1/reports/{report.pk}/csv/").status_code == 404
    assert client.get(f"/hall/h2/reports/{report.pk}/pdf/").status_code == 404  # the report is h1's
    assert staff_client(setup, "agent1").get(f"/hall/h1/reports/{report.pk}/pdf/").status_code == 403


def test_on_demand_report_in_the_pages_language(setup: Setup) -> None:
    """Any day's daily or weekly report, built now in the page's language; nothing is stored."""
    load_history(setup.hall, MONDAY, 7)
    client = staff_client(setup, "manager", lang="en")
    response = client.get("/hall/h1/reports/download/?kind=weekly&day=2024-03-13&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="hallops-h1-weekly-2024-03-11.xlsx"'
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.worksheets[0].title == "Summary" and wb["Summary"]["B2"].value == "2024-03-11 – 2024-03-17"
    pdf = client.get("/hall/h1/reports/download/?kind=daily&day=2024-03-13&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    for bad in ("kind=monthly", "format=doc", "day=yesterday"):
        assert client.get(f"/hall/h1/reports/download/?{bad}").status_code == 400, bad
    from hallops.reports.models import Report

    assert not Report.objects.exists()


def test_admin_lists_reports_with_their_files(setup: Setup) -> None:
    """The Django admin lists stored reports (read-only) with links to both files; it never loads the files."""
    report = report_generate(hall=setup.hall, kind="daily", day=MONDAY, at=dt.datetime(2024, 3, 12, 3, tzinfo=TZ))
    setup.users["admin"].is_staff = True
    setup.users["admin"].is_superuser = True
    setup.users["admin"].save()
    html = staff_client(setup, "admin").get("/admin/reports/report/").content.decode()
    assert f'href="/hall/h1/reports/{report.pk}/xlsx/"' in html and f'href="/hall/h1/reports/{report.pk}/pdf/"' in html
