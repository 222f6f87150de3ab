"""One customer's whole journey through the hall, each screen in its own browser context, on a hall of its own.

greeter (issues the ticket) → customer ticket page (from the ticket's link: waits, then "go to counter 1")
→ hall display (announces the call by voice) → counter 1 (calls, the four phases, done) → rating pad of
counter 1 (asks, the customer rates) → the ticket page says it is finished. Every change on the display, the
ticket page and the rating pad arrives live, without a reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hallops.core.announce import DEFAULT_PHRASE_ZH, call_phrase
from tests.e2e.conftest import LiveServer, pair, start_server
from tests.e2e.test_hall_screens import ZH_VOICE, speech_stub


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own server: nobody else's counter can call our customer."""
    with start_server(Path(tmp_path_factory.mktemp("journey"))) as server:
        yield server


def test_one_customer_from_the_greeter_to_the_rating_pad(new_context: Any, live_server: LiveServer) -> None:
    """The journey a hall is for, asserting what each screen shows at each step."""
    console_errors: list[str] = []

    # The hall display and counter 1's rating pad are paired devices; the agent logs in.
    display_ctx = new_context(viewport={"width": 1280, "height": 720})
    display_ctx.add_init_script(speech_stub(ZH_VOICE))
    display = pair(display_ctx, live_server.pairing_code("display"))
    display.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    display.click("#sound-enable")
    expect(display.locator("#live-status")).to_have_attribute("data-state", "live")

    pad = pair(new_context(), live_server.pairing_code("rating_pad", counter=1))
    expect(pad.locator("#pad")).to_have_attribute("data-state", "idle")

    counter = new_context(login="agent1").new_page()
    counter.goto("/hall/ty01/counter/1/")
    counter.click("main #not-held button[type=submit]")
    expect(counter.locator("main #counter-status")).to_have_text("开启")

    # The greeter issues an inquiry ticket (counters 1–4 serve it) for a customer with a phone.
    greeter = new_context(login="greeter1").new_page()
    greeter.goto("/hall/ty01/greeter/?need=inquiry")
    greeter.fill("main #id_phone", "13912345678")
    greeter.click("main button:text('取号')")
    slip = greeter.locator("main #slip")
    expect(slip.locator(".big-number")).to_have_text(re.compile(r"^H\d{3}$"))
    number = slip.locator(".big-number").inner_text()
    expect(slip.locator(".qr svg")).to_be_visible()
    token = re.search(r"/greeter/ticket/([^/]+)/", greeter.url).group(1)  # type: ignore[union-attr]

    # The customer opens the ticket page from the QR code: waiting, nobody ahead.
    customer = new_context().new_page()
    customer.goto(f"/t/{token}/")
    expect(customer.locator("main #ticket-number")).to_have_text(number)
    expect(customer.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(customer.locator("main #people-ahead")).to_have_text("0")
    expect(counter.locator("main #waiting-total")).to_have_text("1")  # live on the counter too

    # Counter 1 calls: the display shows and announces it, the ticket page tells the customer where to go.
    counter.click("main #call-next")
    expect(counter.locator("main #current-number")).to_have_text(number)
    expect(display.locator("#hero-number")).to_have_text(number)
    expect(display.locator("#hero-counter")).to_contain_text("1")
    spoken = call_phrase(DEFAULT_PHRASE_ZH, number, 1)
    display.wait_for_function("n => window.__spoken.some(u => u.text === n)", arg=spoken)
    expect(customer.locator("main #called-banner")).to_have_text("请到 1 号窗口")

    # The pad waits while the transaction runs; the four phases, then done.
    for phase in ("arrived", "communication", "operation"):
        counter.locator(f'main .step[data-step="{phase}"] button').click()
        expect(counter.locator("main #transaction")).to_have_attribute("data-phase", phase)
    expect(pad.locator("#pad")).to_have_attribute("data-state", "idle")
    counter.locator('main .step[data-step="done"] button').click()
    expect(counter.locator("main #call-next")).to_be_visible()

    # The rating pad asks at once; the customer rates "very satisfied".
    expect(pad.locator("#pad")).to_have_attribute("data-state", "question")
    expect(pad.locator("#pad")).to_contain_text(number)
    pad.click("#score-3")
    expect(pad.locator("#pad")).to_have_attribute("data-state", "thanks")

    # The ticket page shows the visit finished; the counter's history shows the transaction and its rating.
    expect(customer.locator("main .ticket-card")).to_have_attribute("data-status", "done")
    expect(counter.locator("main #recent tr", has_text=number).first).to_be_visible()
    assert console_errors == []
