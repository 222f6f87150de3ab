"""The counter side in a real browser: the counter workstation (live queue, keyboard, timed phases with the
overrun colours, transfer, no-show), the pre-acceptance tablet feeding the counter a ready pre-order, and the
rating pad asking the customer live when the counter finishes.

Uses counters 1–3 of ty01 with agent1..agent3 (opened and closed through the page), business types
new_subscriber / sim_replacement, and ownership_transfer (its limit shortened to 12 s for the overrun test only,
then restored). New-subscriber tickets meant for "call next" are VIP 5★ so that they are first in line. Tickets a
test leaves waiting are cancelled, and counters 1–3 closed, at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, pair, screenshot

HALL = "ty01"


class Desk:
    """Tickets issued through the API by the kiosk login; cleanup through the API as the manager."""

    def __init__(self, live_server: LiveServer) -> None:
        self.server = live_server
        self.kiosk = live_server.token("kiosk1")
        self.manager = live_server.token("manager")
        status, body = live_server.api("GET", f"/halls/{HALL}/counters", self.manager)
        assert status == 200, body
        self.counters = {c["number"]: c["id"] for c in body["items"]}
        self.issued: list[int] = []

    def issue(self, service: str, *, vip: bool = False) -> str:
        body: dict[str, Any] = {"service": service, "channel": "kiosk"}
        if vip:
            body.update(priority="vip", star_level=5)
        status, answer = self.server.api("POST", f"/halls/{HALL}/tickets", self.kiosk, body)
        assert status == 201, answer
        self.issued.append(int(answer["id"]))
        return str(answer["number"])

    def cleanup(self) -> None:
        for ticket_id in self.issued:
            status, body = self.server.api("GET", f"/tickets/{ticket_id}", self.manager)
            if status == 200 and body["status"] == "waiting":
                self.server.api("POST", f"/tickets/{ticket_id}/cancel", self.manager)
        for number in (1, 2, 3):  # a counter a failed test left open would block the next test's browser session
            self.server.api("POST", f"/counters/{self.counters[number]}/close", self.manager)


@pytest.fixture
def desk(live_server: LiveServer) -> Iterator[Desk]:
    d = Desk(live_server)
    yield d
    d.cleanup()


def open_counter(new_context: Any, agent: str, number: int) -> Any:
    """``agent`` opens counter ``number`` with the K key; return the page, live."""
    page = new_context(login=agent).new_page()
    page.goto(f"/hall/{HALL}/counter/{number}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.keyboard.press("k")
    expect(page.locator("main #counter-status")).to_have_text("开启")
    expect(page.locator("main #holder")).to_have_text("您正在使用此窗口")
    return page


def call_number(page: Any, number: str) -> None:
    """G focuses the number field; typing in it does not trigger shortcuts; Enter calls."""
    page.keyboard.press("g")
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator("main #current-number")).to_have_text(number)


def close_counter(page: Any) -> None:
    page.keyboard.press("x")
    expect(page.locator("main #counter-status")).to_have_text("关闭")


def waiting(page: Any, service: str) -> Any:
    return page.locator(f'main tr[data-service="{service}"] td.waiting')


def test_a_ticket_appears_live_is_called_timed_and_finished_from_the_keyboard(
    new_context: Any, live_server: LiveServer, desk: Desk
) -> None:
    """agent1 opens counter 1 (K); a ticket issued by the kiosk appears in the queue summary without a reload;
    N calls it, A/C/O step through the phases with their times and a green service timer, D finishes it as
    completed and it is listed with its outcome."""
    page = open_counter(new_context, "agent1", 1)
    before = int(waiting(page, "new_subscriber").inner_text())
    number = desk.issue("new_subscriber", vip=True)
    expect(waiting(page, "new_subscriber")).to_have_text(str(before + 1))
    expect(page.locator("main #waiting-total")).not_to_have_text("0")
    page.keyboard.press("n")
    expect(page.locator("main #current-number")).to_have_text(number)
    expect(page.locator("main #counter-note")).to_have_text(f"已呼叫 {number}。")
    expect(page.locator("main #current-phase")).to_have_text("已呼叫")
    for key, phase in (("a", "arrived"), ("c", "communication"), ("o", "operation")):
        page.keyboard.press(key)
        expect(page.locator("main #transaction")).to_have_attribute("data-phase", phase)
        expect(page.locator(f'main .step[data-step="{phase}"] .at')).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    timer = page.locator("main #service-timer")
    expect(timer).to_have_class(re.compile("timer-green"))
    expect(timer).to_have_text(re.compile(r"^0:\d\d$"))
    expect(page.locator("main #limit")).to_have_text("8:00")
    page.keyboard.press("d")
    expect(page.locator("main #call-next")).to_be_visible()
    row = page.locator("main #recent tr", has_text=number)
    expect(row).to_contain_text("已办结")
    status, body = live_server.api("GET", f"/tickets/{desk.issued[-1]}", desk.manager)
    assert (status, body["status"]) == (200, "done")
    close_counter(page)


def test_the_service_timer_turns_amber_then_red_past_the_limit(
    new_context: Any, live_server: LiveServer, desk: Desk
) -> None:
    """With a 12-second limit (ownership transfer, shortened for this test), the service timer starts green,
    turns amber from 80 % of the limit and red past it, without a reload; Space steps to the next phase."""
    code = "from hallops.catalog.models import BusinessType as B; B.objects.filter(code='ownership_transfer')"
    live_server.hallops("shell", "-c", f"{code}.update(limit_minutes='0.2')")
    try:
        page = open_counter(new_context, "agent2", 2)
        number = desk.issue("ownership_transfer")
        call_number(page, number)
        page.keyboard.press(" ")  # Space: called → arrived
        expect(page.locator("main #transaction")).to_have_attribute("data-phase", "arrived")
        timer = page.locator("main #service-timer")
        expect(page.locator("main #limit")).to_have_text("0:12")
        expect(timer).to_have_class(re.compile("timer-green"))
        expect(timer).to_have_class(re.compile("timer-amber"), timeout=15_000)
        expect(timer).to_have_class(re.compile("timer-red"), timeout=15_000)
        page.keyboard.press(" ")  # arrived → communication
        expect(page.locator("main #transaction")).to_have_attribute("data-phase", "communication")
        screenshot(page, "counter-overrun")
        page.keyboard.press("d")
        expect(page.locator("main #recent tr", has_text=number).locator(".timer-red")).to_be_visible()
        close_counter(page)
    finally:
        live_server.hallops("shell", "-c", f"{code}.update(limit_minutes='8')")


def test_transfer_keeps_the_number_and_no_show_frees_the_counter(new_context: Any, desk: Desk) -> None:
    """agent3 at counter 3: typing in the pause reason does not trigger shortcuts; a SIM replacement is transferred
    to value-added services (the same number waits again, and is served); another customer does not come (S)."""
    page = open_counter(new_context, "agent3", 3)
    page.keyboard.press("z")
    page.keyboard.type("training")  # n, t, r, a … are shortcuts outside a field
    expect(page.locator("main #call-next")).to_be_visible()
    expect(page.locator("main #transaction")).to_have_count(0)
    page.keyboard.press("Escape")
    first = desk.issue("sim_replacement")
    call_number(page, first)
    page.keyboard.press("t")
    page.select_option("main #transfer-form select[name=service]", "value_added")
    page.click("main #transfer-form button[type=submit]")
    expect(page.locator("main #counter-note")).to_have_text(f"{first} 已转移。")
    expect(page.locator("main #call-next")).to_be_visible()
    call_number(page, first)
    expect(page.locator("main #current-service")).to_have_text("增值业务")
    page.keyboard.press("d")
    expect(page.locator("main #recent tr", has_text=first).first).to_contain_text("增值业务")
    second = desk.issue("sim_replacement")
    call_number(page, second)
    page.keyboard.press("s")
    expect(page.locator("main #counter-note")).to_have_text(f"{second} 已记为过号。")
    expect(page.locator("main #call-next")).to_be_visible()
    close_counter(page)


def test_a_pre_order_filled_on_the_tablet_is_ready_at_the_counter(
    new_context: Any, live_server: LiveServer, desk: Desk
) -> None:
    """The clerk sees a new-subscriber ticket appear live, fills its pre-order (a wrong ID check digit is marked on
    the field first), marks it ready; agent1 calls it and sees "pre-order ready" with the ID masked; the tablet
    turns read-only live."""
    tablet = new_context(login="preaccept1").new_page()
    tablet.goto(f"/hall/{HALL}/preaccept/")
    expect(tablet.locator("#live-status")).to_have_attribute("data-state", "live")
    number = desk.issue("new_subscriber")
    row = tablet.locator(f'main #waiting tr[data-ticket="{number}"]')
    expect(row).to_contain_text("尚未填写")
    row.locator("a.open-ticket").click()
    expect(tablet.locator("main #editor")).to_have_attribute("data-ticket", number)
    tablet.fill("main #id_customer_name", "赵六")
    tablet.select_option("main #id_id_type", "resident")
    tablet.fill("main #id_id_number", "110105194912310021")
    tablet.locator("main #id_phone").click()
    expect(tablet.locator("main #id_id_number_error")).to_have_text("校验位不符，请再核对号码。")
    expect(tablet.locator("main #id_id_number")).to_have_attribute("aria-invalid", "true")
    tablet.fill("main #id_id_number", "11010519491231002x")
    tablet.fill("main #id_phone", "13912345678")
    expect(tablet.locator("main #id_id_number_error")).to_have_count(0)
    tablet.fill("main #id_products", "5G 畅享 129元")
    tablet.check("main input[name=documents][value=id_original]")
    tablet.click("main button[name=state][value=ready]")
    expect(tablet.locator("main #editor-note")).to_have_text(f"已标记为就绪：窗口叫到 {number} 时即可看到。")
    expect(row).to_contain_text("预受理已就绪")
    tablet.evaluate("window.scrollTo(0, 0)")
    screenshot(tablet, "preaccept")

    counter = open_counter(new_context, "agent1", 1)
    call_number(counter, number)
    expect(counter.locator("main #preorder-state")).to_have_text("预受理已就绪")
    expect(counter.locator("main #preorder-name")).to_have_text("赵六")
    expect(counter.locator("main #preorder-id")).to_have_text("110***********002X")
    expect(counter.locator("main #preorder-products")).to_have_text("5G 畅享 129元")
    screenshot(counter, "counter")
    expect(tablet.locator("main #editor-readonly")).to_contain_text("该号码已被叫到 1号窗口")
    expect(tablet.locator(f'main #waiting tr[data-ticket="{number}"]')).to_have_count(0)
    counter.keyboard.press("d")
    expect(counter.locator("main #call-next")).to_be_visible()
    close_counter(counter)


def test_the_rating_pad_asks_live_when_the_counter_finishes(
    new_context: Any, live_server: LiveServer, desk: Desk
) -> None:
    """The pad paired to counter 1 is idle while agent1 serves; when the transaction is finished it asks at once;
    the customer is dissatisfied (waited too long); the pad thanks them and goes back to idle, and the counter
    sees the rating. The next customer rates "very satisfied" with one tap."""
    pad = pair(new_context(viewport={"width": 1024, "height": 700}), live_server.pairing_code("rating_pad", counter=1))
    assert pad.url.endswith(f"/hall/{HALL}/rate/1/")
    expect(pad.locator("#live-status")).to_have_count(0)  # no staff chrome on the customer's pad
    counter = open_counter(new_context, "agent1", 1)
    number = desk.issue("sim_replacement")
    call_number(counter, number)  # a transaction in progress: nothing to rate (an earlier one no longer asked)
    expect(pad.locator("#pad")).to_have_attribute("data-state", "idle")
    expect(pad.locator("#pad-idle")).to_have_text("欢迎光临")
    counter.keyboard.press("d")
    expect(pad.locator("#pad")).to_have_attribute("data-state", "question")
    expect(pad.locator("#pad")).to_contain_text(number)
    expect(pad.locator("#pad")).to_contain_text("agent1")
    screenshot(pad, "rating-pad")
    pad.click("#score-1")
    pad.click("#reasons label:has-text('等候太久')")
    pad.fill("#reasons textarea", "人太多")
    pad.click("#send-dissatisfied")
    expect(pad.locator("#pad-thanks")).to_be_visible()
    expect(counter.locator("main #recent tr", has_text=number).locator("td.rating")).to_have_text("不满意")
    expect(pad.locator("#pad")).to_have_attribute("data-state", "idle", timeout=15_000)
    second = desk.issue("sim_replacement")
    call_number(counter, second)
    counter.keyboard.press("d")
    expect(pad.locator("#pad")).to_contain_text(second)
    pad.click("#score-3")  # one tap: stored and thanked at once
    expect(pad.locator("#pad-thanks")).to_be_visible()
    expect(counter.locator("main #recent tr", has_text=second).locator("td.rating")).to_have_text("非常满意")
    close_counter(counter)
