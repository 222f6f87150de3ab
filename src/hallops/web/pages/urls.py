"""URLs under /hall/<code>/: each screen module adds its own lines here."""

from django.urls import path

urlpatterns: list = []

# The customer-facing side: greeter tablet, kiosk, visit booking (the ticket page is /t/<token>/).
from hallops.web.pages import booking, greeter, kiosk  # noqa: E402

urlpatterns += [
    path("greeter/", greeter.greeter, name="greeter"),
    path("greeter/needs/", greeter.greeter_needs, name="greeter-needs"),
    path("greeter/routes/", greeter.greeter_routes, name="greeter-routes"),
    path("greeter/issue/", greeter.greeter_issue, name="greeter-issue"),
    path("greeter/checkin/", greeter.greeter_checkin, name="greeter-checkin"),
    path("greeter/ticket/<slug:token>/", greeter.greeter_ticket, name="greeter-ticket"),
    path("kiosk/", kiosk.kiosk, name="kiosk"),
    path("kiosk/needs/", kiosk.kiosk_needs, name="kiosk-needs"),
    path("kiosk/issue/", kiosk.kiosk_issue, name="kiosk-issue"),
    path("kiosk/checkin/", kiosk.kiosk_checkin, name="kiosk-checkin"),
    path("kiosk/ticket/<slug:token>/", kiosk.kiosk_ticket, name="kiosk-ticket"),
    path("book/", booking.book, name="book"),
    path("book/slots/", booking.book_slots, name="book-slots"),
    path("book/cancel/", booking.book_cancel, name="book-cancel"),
    path("book/done/<str:ref>/", booking.book_done, name="book-done"),
]

# The hall-wide screens: the hall display (TV), the manager's floor view, devices and hall settings.
from hallops.web.pages import devices, display, floor, settings  # noqa: E402

urlpatterns += [
    path("display/", display.display, name="hall-display"),
    path("display/board/", display.board, name="hall-display-board"),
    path("floor/", floor.floor, name="hall-floor"),
    path("floor/panel/", floor.panel, name="hall-floor-panel"),
    path("devices/", devices.devices, name="hall-devices"),
    path("devices/<int:device_id>/new-code/", devices.new_code, name="hall-device-new-code"),
    path("devices/<int:device_id>/revoke/", devices.revoke, name="hall-device-revoke"),
    path("settings/", settings.hall_settings, name="hall-settings"),
]

# The counter side: counter workstation, pre-acceptance tablet, rating pad.
from hallops.web.pages import counter  # noqa: E402

urlpatterns += [
    path("counter/<int:number>/", counter.counter_page, name="counter"),
    path("counter/<int:number>/panel/", counter.counter_panel, name="counter-panel"),
    path("counter/<int:number>/do/<slug:action>/", counter.counter_action, name="counter-action"),
]

from hallops.web.pages import preaccept, rating  # noqa: E402

urlpatterns += [
    path("preaccept/", preaccept.preaccept_page, name="preaccept"),
    path("preaccept/list/", preaccept.preaccept_list, name="preaccept-list"),
    path("preaccept/<int:ticket_id>/", preaccept.preaccept_open, name="preaccept-open"),
    path("preaccept/<int:ticket_id>/validate/", preaccept.preaccept_validate, name="preaccept-validate"),
    path("preaccept/<int:ticket_id>/save/", preaccept.preaccept_save, name="preaccept-save"),
    path("rate/<int:number>/", rating.rate_page, name="rate"),
    path("rate/<int:number>/state/", rating.rate_state, name="rate-state"),
    path("rate/<int:number>/submit/", rating.rate_submit, name="rate-submit"),
]

# The manager dashboard, the records behind its figures, the pilot comparison, reports.
from hallops.web.pages import dashboard  # noqa: E402

urlpatterns += [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/today/", dashboard.dashboard_today, name="dashboard-today"),
    path("dashboard/records/", dashboard.dashboard_records, name="dashboard-records"),
    path("dashboard/compare/", dashboard.dashboard_compare, name="dashboard-compare"),
    path("reports/", dashboard.reports, name="reports"),
    path("reports/download/", dashboard.report_on_demand, name="report-on-demand"),
    path("reports/<int:report_id>/<slug:fmt>/", dashboard.report_download, name="report-download"),
]

# Alerts: the floor's alert board, the counter's banner, acknowledge/resolve, the hall's alert log.
from hallops.web.pages import alerts  # noqa: E402

urlpatterns += [
    path("alerts/", alerts.alert_log, name="hall-alerts"),
    path("alerts/board/", alerts.floor_board, name="hall-alerts-board"),
    path("alerts/counter/<int:number>/", alerts.counter_banner, name="hall-alerts-counter"),
    path("alerts/<int:alert_id>/<slug:action>/", alerts.alert_action, name="hall-alert-action"),
]

# Busy/idle modes and rules: the floor view's process panel.
from hallops.web.pages import rules as rules_pages  # noqa: E402

urlpatterns += [
    path("floor/process/", rules_pages.process, name="hall-floor-process"),
]

# Planning: the day's plan (forecast, requirement, roster) and what-if runs of the four-zone simulator.
from hallops.web.pages import planning  # noqa: E402

urlpatterns += [
    path("planning/", planning.planning, name="planning"),
    path("planning/replan/", planning.replan, name="planning-replan"),
    path("planning/what-if/", planning.whatif, name="planning-whatif"),
    path("planning/what-if/<int:run_id>/", planning.whatif_panel, name="planning-whatif-run"),
]
