"""The shared page frame in a real browser: login, the language switch, device pairing, the live badge."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, pair


def test_landing_in_chinese_then_english(new_context: Any) -> None:
    page = new_context().new_page()
    page.goto("/")
    assert "营业厅与屏幕" in page.content()
    page.click("button[name=language][value=en]")
    page.wait_for_selector("text=Halls and their screens")
    assert "营业厅与屏幕" not in page.content()


def test_wrong_password_shows_an_inline_error(new_context: Any) -> None:
    page = new_context().new_page()
    page.goto("/login/")
    page.fill("#id_username", "agent1")
    page.fill("#id_password", "wrong")
    page.click("main button[type=submit]")
    expect(page.locator(".flash.error")).to_be_visible()
    assert "/login/" in page.url


def test_a_bad_pairing_code_is_refused_inline_and_a_good_one_opens_the_screen(
    new_context: Any, live_server: LiveServer
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto("/pair/")
    page.fill("#id_code", "12345678")
    page.click("main button[type=submit]")
    expect(page.locator("#code-error")).to_be_visible()
    code = live_server.pairing_code("display")
    screen = pair(context, code)
    assert screen.url.endswith("/hall/ty01/display/")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["hallops_device"]["httpOnly"] is True
    assert code not in screen.url
