"""The hall-wide screens in a real browser: the hall display (paired through the devices page, live calls
announced by voice), the manager's floor view, the hall settings, and revoking a display.

Calls are made through the API at counters 7 and 8 of ty01 (complex business), which no other test uses.
Speech is observed at the browser's API boundary: ``speechSynthesis.speak`` is replaced in the page before
any script runs and records each utterance; ``getVoices`` is replaced to say which voices exist.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from hallops.core.announce import DEFAULT_PHRASE_ZH, call_phrase
from tests.e2e.conftest import LiveServer, pair, screenshot

HALL = "ty01"
TV = {"width": 1920, "height": 1080}
SMALL_TV = {"width": 1280, "height": 720}
ZH_VOICE = [{"lang": "zh-CN", "name": "stub Mandarin", "voiceURI": "stub-zh", "default": True, "localService": True}]
EN_VOICE = [{"lang": "en-US", "name": "stub English", "voiceURI": "stub-en", "default": True, "localService": True}]


def speech_stub(voices: list[dict[str, Any]]) -> str:
    """A script run before the page's own: speak() records the utterance (and ends it), getVoices() lists
    ``voices``."""
    return (
        "(() => {"
        "  window.__spoken = [];"
        "  const synth = window.speechSynthesis;"
        f"  const voices = {json.dumps(voices)};"
        "  synth.getVoices = () => voices;"
        "  synth.speak = (u) => {"
        "    window.__spoken.push({text: u.text, lang: u.lang});"
        "    setTimeout(() => { if (u.onend) u.onend(new Event('end')); }, 30);"
        "  };"
        "})();"
    )


class Hall:
    """Counters 7 and 8 of ty01, run through the API as the manager; tickets issued by the kiosk login."""

    def __init__(self, live_server: LiveServer) -> None:
        self.server = live_server
        self.manager = live_server.token("manager")
        self.kiosk = live_server.token("kiosk1")
        status, body = live_server.api("GET", f"/halls/{HALL}/counters", self.manager)
        assert status == 200, body
        self.counters = {c["number"]: c["id"] for c in body["items"]}
        self.issued: list[int] = []

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        return self.server.api(method, path, token or self.manager, body)

    def open(self, number: int) -> None:
        status, body = self.api("POST", f"/counters/{self.counters[number]}/open")
        assert status == 200, body

    def issue(self, service: str = "complaint") -> str:
        status, body = self.api("POST", f"/halls/{HALL}/tickets", {"service": service, "channel": "kiosk"}, self.kiosk)
        assert status == 201, body
        self.issued.append(int(body["id"]))
        return str(body["number"])

    def cancel_waiting(self) -> None:
        """Cancel the tickets issued here that still wait, so that no other test's counter calls them."""
        for ticket_id in self.issued:
            status, body = self.api("GET", f"/tickets/{ticket_id}")
            if status == 200 and body["status"] == "waiting":
                self.api("POST", f"/tickets/{ticket_id}/cancel")

    def finish(self, number: int) -> None:
        """Complete the counter's transaction in progress, if any."""
        self.api("POST", f"/counters/{self.counters[number]}/complete", {"outcome": "completed"})

    def call_next(self, number: int) -> str:
        """Finish what the counter is doing, issue a ticket, call the next one; return the number called."""
        self.finish(number)
        self.issue()
        status, body = self.api("POST", f"/counters/{self.counters[number]}/call-next")
        assert status == 200, body
        return str(body["ticket"]["number"])

    def recall(self, number: int) -> None:
        status, body = self.api("POST", f"/counters/{self.counters[number]}/recall")
        assert status == 200, body

    def close(self, number: int) -> None:
        self.finish(number)
        self.api("POST", f"/counters/{self.counters[number]}/close")


@pytest.fixture(scope="module")
def hall(live_server: LiveServer) -> Iterator[Hall]:
    h = Hall(live_server)
    h.open(7)
    h.open(8)
    yield h
    h.close(7)
    h.close(8)
    h.cancel_waiting()


def console_errors(context: Any) -> list[str]:
    """Collect the console errors and uncaught exceptions of every page of ``context``."""
    errors: list[str] = []
    context.on(
        "console",
        lambda msg: errors.append(f"{msg.text} at {msg.location.get('url')}") if msg.type == "error" else None,
    )
    context.on("weberror", lambda err: errors.append(str(err.error)))
    return errors


def add_display_through_the_devices_page(manager: Any, name: str) -> tuple[Any, str]:
    """The manager adds a display on the devices page; return the page and the pairing code it shows once."""
    page = manager.new_page()
    page.goto(f"/hall/{HALL}/devices/")
    page.select_option("main #id_kind", "display")
    page.fill("main #id_name", name)
    page.click("main #add-device button[type=submit]")
    code = page.locator("main #pairing-code")
    expect(code).to_have_text(re.compile(r"^\d{8}$"))
    return page, code.inner_text()


def spoken(page: Any) -> list[dict[str, str]]:
    return list(page.evaluate("window.__spoken"))


def enable_sound(page: Any) -> None:
    overlay = page.locator("#sound-overlay")
    expect(overlay).to_be_visible()
    page.click("#sound-enable")
    expect(overlay).to_have_count(0)
    expect(page.locator("#sound-toggle")).to_be_visible()


def wait_live(page: Any) -> None:
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def test_a_display_paired_through_the_devices_page_shows_and_speaks_calls_live(
    new_context: Any, live_server: LiveServer, hall: Hall
) -> None:
    """The manager adds a display and reads its code; the TV enters it at /pair/ and opens the display. After
    one click on the sound overlay, a call at counter 7 appears within a second and is spoken once, in
    Chinese, digit by digit ("请G零零一号到7号窗口"); a recall is spoken again. No console errors; the
    screen fits 1920×1080 without scrolling; the browser's phrase equals the Python one."""
    manager = new_context(login="manager")
    devices, code = add_display_through_the_devices_page(manager, "E2E 等候区电视")
    screenshot(devices, "devices")

    tv = new_context(viewport=TV)
    tv.add_init_script(speech_stub(ZH_VOICE))
    errors = console_errors(tv)
    page = pair(tv, code)
    assert page.url.endswith(f"/hall/{HALL}/display/")
    enable_sound(page)
    wait_live(page)

    number = hall.call_next(7)
    expect(page.locator("#hero-number")).to_have_text(number, timeout=1000)
    expect(page.locator("#hero-counter")).to_have_text("7号窗口")
    expect(page.locator(f'main .d-call[data-number="{number}"][data-counter="7"]')).to_be_visible()
    page.wait_for_function("window.__spoken.length >= 1")
    expected = call_phrase(DEFAULT_PHRASE_ZH, number, 7)
    assert re.fullmatch(r"请[A-Z]+[零一二三四五六七八九]{3,}号到7号窗口", expected)
    assert spoken(page) == [{"text": expected, "lang": "zh-CN"}]

    hall.recall(7)
    expect(page.locator("#hero-label")).to_have_text("再次呼叫", timeout=1000)
    page.wait_for_function("window.__spoken.length >= 2")
    assert spoken(page) == [{"text": expected, "lang": "zh-CN"}] * 2

    for sample, counter in [("A001", 3), ("B010", 12), ("G1000", 7), ("VIP007", 1)]:
        js = page.evaluate("([t, n, c]) => HallDisplay.callPhrase(t, n, c)", [DEFAULT_PHRASE_ZH, sample, counter])
        assert js == call_phrase(DEFAULT_PHRASE_ZH, sample, counter)

    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert errors == []


def test_without_a_chinese_voice_the_call_is_shown_silently(
    new_context: Any, live_server: LiveServer, hall: Hall
) -> None:
    """When the browser lists voices but none is Chinese, a call is shown and nothing is spoken, without errors."""
    tv = new_context(viewport=TV)
    tv.add_init_script(speech_stub(EN_VOICE))
    errors = console_errors(tv)
    page = pair(tv, live_server.pairing_code("display"))
    enable_sound(page)
    wait_live(page)
    number = hall.call_next(8)
    expect(page.locator("#hero-number")).to_have_text(number, timeout=1000)
    page.wait_for_timeout(2500)  # longer than the chime before speech
    assert spoken(page) == []
    assert errors == []


def test_the_real_browser_with_no_voices_shows_calls_without_console_errors(
    new_context: Any, live_server: LiveServer, hall: Hall
) -> None:
    """Unstubbed headless Chromium (no speech voices installed): sound on, a call arrives and is shown, and the
    console stays free of errors. The layout also fits a 1280×720 screen."""
    tv = new_context(viewport=SMALL_TV)
    errors = console_errors(tv)
    page = pair(tv, live_server.pairing_code("display"))
    enable_sound(page)
    wait_live(page)
    number = hall.call_next(7)
    expect(page.locator("#hero-number")).to_have_text(number, timeout=1000)
    expect(page.locator(f'main .d-call.newest[data-number="{number}"]')).to_be_visible()
    page.wait_for_timeout(3000)
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    assert errors == []


def test_the_floor_view_shows_the_open_counter_and_follows_calls_live(new_context: Any, hall: Hall) -> None:
    """The manager's floor view lists counter 8 open with its agent; a call there shows its ticket and a
    running service timer without a reload."""
    page = new_context(login="manager").new_page()
    page.goto(f"/hall/{HALL}/floor/")
    wait_live(page)
    row = page.locator("main #counter-8")
    expect(row).to_have_attribute("data-status", "open")
    number = hall.call_next(8)
    expect(row.locator(".current-ticket")).to_have_text(number)
    timer = row.locator(".timer[data-timer-limit]")
    expect(timer).to_have_class(re.compile(r"timer-(green|amber|red)"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=3000)  # it ticks in the browser
    expect(page.locator("main #count-issued")).not_to_have_text("0")
    hall.issue("broadband")
    hall.issue("broadband")
    expect(page.locator('main tr[data-service="broadband"] td.number')).to_have_text(re.compile(r"^[1-9]"))
    screenshot(page, "floor")
    hall.cancel_waiting()


def test_a_settings_change_reaches_an_open_display_without_a_reload(
    new_context: Any, live_server: LiveServer, hall: Hall
) -> None:
    """The manager saves a new Chinese phrase and two ticker announcements; an open display picks them up live
    (no reload, so sound stays on), shows the announcements and speaks the next call with the new phrase. A
    phrase missing {counter} is refused inline first. The defaults are restored at the end."""
    manager = new_context(login="manager")
    tv = new_context(viewport=TV)
    tv.add_init_script(speech_stub(ZH_VOICE))
    display = pair(tv, live_server.pairing_code("display"))
    enable_sound(display)
    wait_live(display)

    page = manager.new_page()
    page.goto(f"/hall/{HALL}/settings/")
    wait_live(page)
    page.fill("main #id_call_phrase_zh", "请{number}号办理")
    page.click("main #hall-settings button[type=submit]")
    expect(page.locator("main #id_call_phrase_zh")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main #call_phrase_zh-error")).to_be_visible()

    new_phrase = "请{number}号顾客到{counter}号柜台"
    page.fill("main #id_call_phrase_zh", new_phrase)
    expect(page.locator("main #phrase-zh-preview")).to_have_text("请A零零一号顾客到3号柜台")
    page.fill("main #id_announcements", "欢迎光临，请保管好随身物品\n缴费、详单查询请使用自助终端或手机营业厅")
    try:
        page.click("main #hall-settings button[type=submit]")
        expect(page.locator("main .flash.ok")).to_be_visible()
        wait_live(page)
        screenshot(page, "settings")
        expect(display.locator("#display-config")).to_have_attribute("data-phrase-zh", new_phrase)
        expect(display.locator("#ticker-line")).to_have_text(re.compile("欢迎光临|缴费"), timeout=15_000)
        before = len(spoken(display))
        number = hall.call_next(7)
        display.wait_for_function(f"window.__spoken.length >= {before + 1}")
        assert spoken(display)[-1]["text"] == call_phrase(new_phrase, number, 7)

        # The screenshot: back to the default phrase, two counters serving, a few people waiting.
        page.goto(f"/hall/{HALL}/settings/")
        page.fill("main #id_call_phrase_zh", DEFAULT_PHRASE_ZH)
        page.click("main #hall-settings button[type=submit]")
        expect(display.locator("#display-config")).to_have_attribute("data-phrase-zh", DEFAULT_PHRASE_ZH)
        hall.call_next(8)
        last = hall.call_next(7)
        hall.issue("broadband")
        hall.issue("new_subscriber")
        expect(display.locator("main .d-call.newest")).to_have_attribute("data-number", last)
        expect(display.locator('main .d-q[data-service="broadband"] .d-q-waiting b')).to_have_text("1")
        display.wait_for_timeout(3500)  # the call's flash is over
        screenshot(display, "display")
    finally:
        page.goto(f"/hall/{HALL}/settings/")
        page.fill("main #id_call_phrase_zh", DEFAULT_PHRASE_ZH)
        page.fill("main #id_announcements", "")
        page.click("main #hall-settings button[type=submit]")
        expect(page.locator("main .flash.ok")).to_be_visible()
        hall.cancel_waiting()


def test_a_revoked_display_loses_access(new_context: Any, hall: Hall) -> None:
    """The manager revokes a paired display on the devices page (confirming); at the next hall event the
    display's screen gives way to the login page, and reopening it does not show the display."""
    manager = new_context(login="manager")
    name = f"E2E revoke {uuid.uuid4().hex[:6]}"
    devices, code = add_display_through_the_devices_page(manager, name)
    tv = new_context(viewport=TV)
    display = pair(tv, code)
    wait_live(display)

    devices.goto(f"/hall/{HALL}/devices/")
    devices.once("dialog", lambda dialog: dialog.accept())
    row = devices.locator("main #device-list tr", has_text=name)
    row.locator("button[name=revoke]").click()
    expect(devices.locator("main #device-list tr", has_text=name)).to_contain_text("已吊销")

    started = time.monotonic()
    hall.issue()  # any hall event makes the display re-read its board
    expect(display).to_have_url(re.compile(r"/login/"), timeout=5000)
    assert time.monotonic() - started < 5
    display.goto(f"/hall/{HALL}/display/")
    assert "/login/" in display.url
