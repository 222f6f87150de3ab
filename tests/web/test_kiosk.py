"""The kiosk: paired devices and hall staff, Chinese with an English switch, one ticket per tap, the forced
self-service path without a number, the printed slip (58/80 mm, QR code to the ticket page)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from hallops.hall.models import HallEvent, Ticket
from tests.factories import Setup
from tests.web.customer_helpers import device, login, name_services, numbered, tap_of

URL = "/hall/h1/kiosk/"


def test_a_paired_kiosk_opens_its_screen_in_chinese(setup: Setup) -> None:
    """The device cookie is enough (no login); the screen drops the staff top bar and speaks Chinese."""
    name_services(setup)
    body = device(setup).get(URL).content.decode()
    assert '<html lang="zh-hans">' in body
    assert "请选择您要办理的业务" in body and "补换卡" in body
    assert 'class="topbar' not in body
    assert "Log out" not in body and "退出" not in body


def test_english_with_the_language_cookie_or_for_one_visit(setup: Setup) -> None:
    """The language cookie switches the kiosk; ?lang=en switches only this customer's visit."""
    assert "Please choose your business" in device(setup, lang="en").get(URL).content.decode()
    kiosk = device(setup)
    assert "Please choose your business" in kiosk.get(URL + "?lang=en").content.decode()
    assert "请选择您要办理的业务" in kiosk.get(URL).content.decode()


def test_the_kiosk_cookie_works_only_on_the_kiosk_of_its_own_hall(setup: Setup) -> None:
    """Another hall's kiosk → 404; a display's cookie is not a kiosk's; the kiosk cookie opens no staff page."""
    kiosk = device(setup)
    assert kiosk.get("/hall/h2/kiosk/").status_code == 404
    assert kiosk.get("/hall/h1/greeter/").status_code == 302
    assert device(setup, "display").get(URL).status_code == 302
    assert device(setup, hall=setup.other_hall).get("/hall/h2/kiosk/").status_code == 200


@pytest.mark.parametrize(("who", "status"), [("greeter", 200), ("manager", 200), ("clerk", 403), ("agent_b", 404)])
def test_staff_who_may_issue_in_the_hall_preview_it(setup: Setup, who: str, status: int) -> None:
    """Staff with ticket.issue in the hall may open it; a role without it 403; another hall's staff 404."""
    assert login(who).get(URL).status_code == status


def test_nobody_goes_to_the_login_page(setup: Setup) -> None:
    """No cookie, no session: the login page (which links to pairing)."""
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_only_kiosk_capable_business_types_are_offered(setup: Setup) -> None:
    """SIM replacement and payment (kiosk-capable) are buttons; new subscriber and value-added are not."""
    body = device(setup).get(URL).content.decode()
    assert 'value="sim_replacement"' in body and 'value="payment"' in body
    assert 'value="new_subscriber"' not in body and 'value="value_added"' not in body


def test_a_tap_issues_one_ticket_and_a_retried_tap_returns_the_same_one(setup: Setup) -> None:
    """The same tap key twice (a double tap, a retried POST) → one ticket, the same printed slip."""
    kiosk = device(setup)
    tap = tap_of(kiosk.get(URL))
    first = kiosk.post(URL + "issue/", {"tap": tap, "service": "sim_replacement"})
    assert first.status_code == 303 and first["Location"].startswith(URL + "ticket/")
    second = kiosk.post(URL + "issue/", {"tap": tap, "service": "sim_replacement"})
    assert second["Location"] == first["Location"]
    ticket = Ticket.objects.get()
    assert (ticket.number, ticket.channel, ticket.status) == ("B001", "kiosk", "waiting")
    assert ticket.created_by is not None and ticket.created_by.username.startswith("device-h1-kiosk")
    assert HallEvent.objects.filter(kind="ticket.issued").count() == 1
    # a fresh start screen carries a fresh key: the next customer gets the next number
    next_tap = tap_of(kiosk.get(URL))
    assert next_tap != tap
    kiosk.post(URL + "issue/", {"tap": next_tap, "service": "sim_replacement"})
    assert list(Ticket.objects.order_by("id").values_list("number", flat=True)) == ["B001", "B002"]


def test_the_same_tap_for_another_business_type_writes_nothing(setup: Setup) -> None:
    """A tap key already used for one ticket cannot issue a different one."""
    kiosk = device(setup)
    tap = tap_of(kiosk.get(URL))
    kiosk.post(URL + "issue/", {"tap": tap, "service": "sim_replacement"})
    response = kiosk.post(URL + "issue/", {"tap": tap, "service": "payment"})
    assert response.status_code == 422
    assert 'id="kiosk-error"' in response.content.decode()
    assert Ticket.objects.count() == 1


def test_a_forced_self_service_type_shows_the_instructions_and_no_number(setup: Setup) -> None:
    """Payment is forced to self-service: the kiosk shows how to do it, prints nothing, numbers nothing."""
    kiosk = device(setup)
    response = kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": "payment"})
    assert response.status_code == 303
    page = kiosk.get(response["Location"]).content.decode()
    assert "请自助缴费" in page
    assert 'id="slip"' not in page and "data-autoprint" not in page
    assert numbered() == 0
    assert Ticket.objects.get().status == "diverted"
    assert HallEvent.objects.filter(kind="ticket.diverted").count() == 1
    english = kiosk.get(response["Location"] + "?lang=en").content.decode()
    assert "Pay at the kiosk" in english


def test_a_business_type_not_offered_at_the_kiosk_is_refused_and_nothing_written(setup: Setup) -> None:
    """Posting value-added (not kiosk-capable) or an unknown type → an error on the start screen, no ticket."""
    kiosk = device(setup)
    for code in ("value_added", "nope", ""):
        response = kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": code})
        assert response.status_code == 422
    assert Ticket.objects.count() == 0 and HallEvent.objects.count() == 0


def test_a_post_without_a_tap_key_writes_nothing(setup: Setup) -> None:
    """No tap key (an old or forged form): nothing is issued."""
    response = device(setup).post(URL + "issue/", {"service": "sim_replacement"})
    assert response.status_code == 422
    assert Ticket.objects.count() == 0


@override_settings(HALLOPS_PUBLIC_URL="https://hall.example.cn")
def test_the_printed_slip_has_everything_the_customer_needs(setup: Setup) -> None:
    """Hall, number, business type, people ahead, estimated wait, hall-local issue time, a QR code to the
    public ticket URL, and the @page size for 80 mm paper (58 mm once the kiosk is set to it)."""
    name_services(setup)
    kiosk = device(setup)
    kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": "sim_replacement"})
    response = kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": "sim_replacement"})
    ticket = Ticket.objects.get(number="B002")
    body = kiosk.get(response["Location"]).content.decode()
    assert "hall h1" in body and "B002" in body and "补换卡" in body
    assert "<td data-ahead>1</td>" in body
    assert "暂无开放窗口" in body  # no counter open: no estimate rather than a made-up one
    local = ticket.issued_at.astimezone(setup.hall.tz).strftime("%Y-%m-%d %H:%M")
    assert local in body
    assert '<svg width="' in body and 'class="segno"' in body
    assert "https://hall.example.cn/t/" + ticket.token not in body  # the URL is in the QR code, not printed
    assert "size: 80mm 150mm" in body
    assert 'data-autoprint="1"' in body
    kiosk.get(URL + "?paper=58")
    assert "size: 58mm 130mm" in kiosk.get(response["Location"]).content.decode()


def test_the_qr_code_encodes_the_public_ticket_url(setup: Setup) -> None:
    """The QR code is made from HALLOPS_PUBLIC_URL + /t/<token>/ (checked against segno with the same URL)."""
    import segno

    from hallops.web.pages.customer_selectors import qr_svg, ticket_url

    kiosk = device(setup)
    response = kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": "sim_replacement"})
    ticket = Ticket.objects.get()
    with override_settings(HALLOPS_PUBLIC_URL="https://hall.example.cn"):
        url = ticket_url(ticket)
        assert url == f"https://hall.example.cn/t/{ticket.token}/"
        body = kiosk.get(response["Location"]).content.decode()
    expected = segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=False)
    assert expected == qr_svg(url)
    assert expected in body


def test_the_kiosk_of_another_hall_cannot_show_this_halls_ticket(setup: Setup) -> None:
    """A ticket token from another hall answers 404 on this kiosk."""
    kiosk = device(setup)
    kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": "sim_replacement"})
    other = device(setup, hall=setup.other_hall)
    assert other.get(f"/hall/h2/kiosk/ticket/{Ticket.objects.get().token}/").status_code == 404


def test_the_waits_refresh_as_a_partial(setup: Setup) -> None:
    """The live refresh returns the buttons with the current waiting counts (no page frame)."""
    kiosk = device(setup, lang="en")
    kiosk.post(URL + "issue/", {"tap": tap_of(kiosk.get(URL)), "service": "sim_replacement"})
    body = kiosk.get(URL + "needs/").content.decode()
    assert "<html" not in body and "1 waiting" in body


def test_the_start_screen_reads_a_fixed_number_of_queries_however_many_business_types(setup: Setup) -> None:
    """Ten more kiosk-capable business types cost the start screen no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import business_type

    kiosk = device(setup)
    kiosk.get(URL)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert kiosk.get(URL).status_code == 200
        return len(queries)

    before = count()
    for n in range(10):
        business_type(f"extra_{n}", "X", kiosk=True)
    assert count() == before
