"""The customer-facing side in a real browser: the paired kiosk (ticket, printed slip with a QR code, forced
self-service, back to the start), the greeter's pinyin search and a VIP ticket, the customer's ticket page
changing live (position, then "go to counter 4"), and a visit booking from the page to the SMS code and the
check-in. Business types sim_replacement / value_added / payment; only counter 4 is opened (then closed)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, pair, screenshot

COUNT_PRINTS = "window.__printed = 0; window.print = function () { window.__printed += 1; };"


def _kiosk(new_context: Any, live_server: LiveServer) -> Any:
    context = new_context()
    context.add_init_script(COUNT_PRINTS)  # a kiosk prints silently; here we count the calls instead
    return pair(context, live_server.pairing_code("kiosk"))


def _issue(live_server: LiveServer, token: str, service: str = "value_added") -> dict[str, Any]:
    status, body = live_server.api(
        "POST", "/halls/ty01/tickets", token, {"service": service, "channel": "greeter", "priority": "normal"}
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


def test_a_paired_kiosk_prints_a_ticket_with_a_qr_code_and_returns_to_its_start(
    new_context: Any, live_server: LiveServer
) -> None:
    """Pair with a code, tap SIM replacement: the slip shows the number, business type, people ahead, wait and
    a QR code; printing starts by itself; after the timeout the kiosk is back on its start screen."""
    page = _kiosk(new_context, live_server)
    assert page.url.endswith("/hall/ty01/kiosk/")
    expect(page.locator("main h1")).to_have_text("请选择您要办理的业务")
    expect(page.locator("main button.need[value=sim_replacement]")).to_contain_text("补换卡")
    expect(page.locator("main button.need[value=new_subscriber]")).to_have_count(0)
    screenshot(page, "kiosk")
    page.click("main button.need[value=sim_replacement]")
    page.wait_for_url(re.compile(r"/hall/ty01/kiosk/ticket/[\w-]+/$"))
    slip = page.locator("main #slip")
    expect(slip).to_be_visible()
    expect(slip.locator(".big-number")).to_have_text(re.compile(r"^B\d{3}$"))
    expect(slip).to_contain_text("补换卡")
    expect(slip).to_contain_text("太原迎泽大街营业厅")
    expect(slip.locator("[data-ahead]")).to_have_text(re.compile(r"^\d+$"))
    expect(slip.locator(".qr svg")).to_be_visible()
    page.wait_for_function("window.__printed >= 1")
    page.emulate_media(media="print")
    expect(page.locator(".kiosk-head")).to_be_hidden()
    page.set_viewport_size({"width": 340, "height": 600})  # about 80 mm paper at 96 dpi plus margins
    screenshot(page, "kiosk-ticket")
    page.emulate_media(media="screen")
    expect(page.locator("main [data-countdown]")).to_contain_text("秒后返回首页")
    page.wait_for_url(re.compile(r"/hall/ty01/kiosk/$"), timeout=30_000)
    expect(page.locator("main h1")).to_have_text("请选择您要办理的业务")


def test_the_kiosk_sends_a_forced_self_service_need_to_its_instructions(
    new_context: Any, live_server: LiveServer
) -> None:
    """Payment is forced to self-service: the kiosk shows the instructions, in English after the switch, and
    prints no number."""
    page = _kiosk(new_context, live_server)
    page.click("text=English")
    expect(page.locator("main h1")).to_have_text("Please choose your business")
    page.click("main button.need[value=payment]")
    page.wait_for_url(re.compile(r"/kiosk/ticket/"))
    expect(page.locator("main [data-instructions]")).to_contain_text("self-service kiosk")
    expect(page.locator("main #slip")).to_have_count(0)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__printed") == 0


def test_the_greeter_finds_a_need_by_pinyin_initials_and_issues_a_vip_ticket(
    new_context: Any, live_server: LiveServer
) -> None:
    """Typing "bhk" leaves only 补换卡; the recommendation shows the kiosk first; a 3-star VIP ticket is
    issued and shown ready to print."""
    page = new_context(login="greeter1").new_page()
    page.goto("/hall/ty01/greeter/")
    needs = page.locator("main .need")
    expect(needs.first).to_be_visible()
    assert needs.count() > 5
    page.fill("#need-search", "bhk")
    expect(page.locator("main .need:visible")).to_have_count(1)
    expect(page.locator("main .need:visible")).to_contain_text("补换卡")
    page.fill("#need-search", "zzyw")
    expect(page.locator("main .need:visible")).to_contain_text("增值业务")
    page.fill("#need-search", "bhk")
    page.press("#need-search", "Enter")
    page.wait_for_url(re.compile(r"need=sim_replacement"))
    routes = page.locator("main #routes li")
    expect(routes.first).to_have_attribute("data-route", "kiosk")
    expect(page.locator('main #routes li[data-route="counter"]')).to_be_visible()
    page.click("main .segmented span:text('VIP')")
    expect(page.locator("main #id_star_level")).to_be_visible()
    page.select_option("main #id_star_level", "3")
    page.fill("main #id_phone", "13912345678")
    screenshot(page, "greeter")
    page.click("main button:text('取号')")
    page.wait_for_url(re.compile(r"/greeter/ticket/"))
    slip = page.locator("main #slip")
    expect(slip.locator(".big-number")).to_have_text(re.compile(r"^B\d{3}$"))
    expect(slip).to_contain_text("VIP 3★")
    expect(page.locator("main")).not_to_contain_text("13912345678")


def test_the_ticket_page_moves_up_then_shows_the_counter_live(new_context: Any, live_server: LiveServer) -> None:
    """Two tickets; the second one's page (no login) shows its place. When the first customer leaves the queue
    from their own page, the place changes without a reload; when agent4 calls the number at counter 4, the
    page says so at once."""
    greeter = live_server.token("greeter1")
    first = _issue(live_server, greeter)
    second = _issue(live_server, greeter)
    assert second["url"].startswith(live_server.url + "/t/")

    mine = new_context().new_page()
    mine.goto(second["url"])
    expect(mine.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(mine.locator("main #ticket-number")).to_have_text(second["number"])
    ahead = int(mine.locator("main #people-ahead").inner_text())
    assert ahead >= 1
    mine.evaluate("window.__same_page = true")

    theirs = new_context().new_page()
    theirs.goto(first["url"])
    theirs.click("main #cancel-link")
    theirs.click("main #confirm-cancel")
    expect(theirs.locator("main #ticket-status-line")).to_contain_text("已取消")

    expect(mine.locator("main #people-ahead")).to_have_text(str(ahead - 1))
    assert mine.evaluate("window.__same_page") is True

    agent = live_server.token("agent4")
    _, counters = live_server.api("GET", "/halls/ty01/counters", agent)
    counter = next(c["id"] for c in counters["items"] if c["number"] == 4)
    status, _ = live_server.api("POST", f"/counters/{counter}/open", agent)
    assert status == 200
    try:
        status, called = live_server.api("POST", f"/counters/{counter}/call", agent, {"number": second["number"]})
        assert status == 200, called
        expect(mine.locator("main #called-banner")).to_have_text("请到 4 号窗口")
        expect(mine.locator("main #ticket-status-line")).to_contain_text("轮到您了")
        expect(mine.locator("main #called-banner")).to_be_visible()
        assert mine.evaluate("window.__same_page") is True
        screenshot(mine, "ticket-page")
        status, _ = live_server.api("POST", f"/counters/{counter}/no-show", agent)
        assert status == 200
    finally:
        live_server.api("POST", f"/counters/{counter}/close", agent)


def test_a_visit_booking_from_the_page_to_the_sms_code_and_check_in(new_context: Any, live_server: LiveServer) -> None:
    """Book tomorrow at 10:00 for SIM replacement; the page confirms with the masked number; the SMS holds the
    code; at the kiosk today that code is too early (a clear message). A booking due now is checked in at the
    greeter and gets an appointment ticket."""
    page = new_context().new_page()
    page.goto("/hall/ty01/book/")
    expect(page.locator("main h1")).to_have_text("预约到厅办理")
    page.select_option("main #id_service", "sim_replacement")
    tomorrow = (dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)).date().isoformat()
    page.select_option("main #id_day", tomorrow)
    slot = page.locator(f"main .slot input[value='{tomorrow}T10:00']")
    expect(slot).to_be_enabled()
    page.click(f"main label[for='{slot.get_attribute('id')}']")
    page.fill("main #id_phone", "13700001111")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "booking")
    page.click("main #book-submit")
    expect(page.locator("main #code-sent")).to_contain_text("137****1111")
    expect(page.locator("main #booked-time")).to_contain_text("10:00–10:30")

    sms = live_server.hallops(
        "shell",
        "-c",
        "from hallops.notifications.models import Notification as N; "
        "n = N.objects.filter(purpose='booking_code', to='13700001111').first(); print(n.body)",
    )
    code = re.search(r"(?<!\d)\d{6}(?!\d)", sms.strip().splitlines()[-1])
    assert code, sms
    assert code.group(0) not in page.content()

    kiosk = _kiosk(new_context, live_server)
    kiosk.click("main #checkin-link")
    kiosk.fill("main #id_code", code.group(0))
    kiosk.click("main .keypad button[type=submit]")
    expect(kiosk.locator("main #code-error")).to_contain_text("来早了")

    # A booking due within the check-in window, made through the CLI (the page books only future slots).
    due = live_server.hallops(
        "shell",
        "-c",
        "import datetime as dt; from django.utils import timezone; "
        "from hallops.booking.models import Booking; from hallops.catalog.models import BusinessType as B; "
        "from hallops.organisation.models import Hall; h = Hall.objects.get(code='ty01'); "
        "now = timezone.now().astimezone(h.tz); "
        "s = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(minutes=30 if now.minute < 30 else 60); "
        "b = Booking.objects.create(hall=h, service=B.objects.get(code='value_added'), slot_start=s, day=s.date(), "
        "seat=1, phone='13700002222', code='246810', created_at=timezone.now()); print(b.code)",
    )
    assert due.strip().splitlines()[-1] == "246810"
    greeter = new_context(login="greeter1").new_page()
    greeter.goto("/hall/ty01/greeter/")
    greeter.fill("main #id_checkin_code", "246810")
    greeter.click("main #checkin button[type=submit]")
    greeter.wait_for_url(re.compile(r"/greeter/ticket/"))
    expect(greeter.locator("main #slip")).to_contain_text("预约")
    expect(greeter.locator("main #slip .big-number")).to_have_text(re.compile(r"^C\d{3}$"))
