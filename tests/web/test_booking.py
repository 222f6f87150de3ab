"""Hall visit booking: the page (no login), 30-minute slots within the hours, capacity per slot and business
type that holds under a race, the SMS code, inline errors with nothing written, check-in windows at the kiosk
and the greeter (an appointment-priority ticket), cancelling, and the no-show job."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from hallops.booking import services as booking_services
from hallops.booking.jobs import bookings_record_no_shows
from hallops.booking.models import Booking, SlotCapacity
from hallops.booking.selectors import day_slots, slot_starts
from hallops.booking.services import booking_check_in, booking_create
from hallops.booking.tasks import record_booking_no_shows
from hallops.errors import Conflict, Invalid, NotFound
from hallops.hall.models import HallEvent, Ticket
from hallops.notifications.models import Notification
from hallops.organisation.models import Hall
from tests.factories import Setup
from tests.web.customer_helpers import device, login, name_services, tap_of

URL = "/hall/h1/book/"
PHONE = "13812341234"


def _tomorrow(hall: Hall) -> dt.date:
    return timezone.now().astimezone(hall.tz).date() + dt.timedelta(days=1)


def _slot(hall: Hall, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(_tomorrow(hall), dt.time(hh, mm), tzinfo=hall.tz)


def _form(hall: Hall, hh: int = 10, mm: int = 0, **kw: str) -> dict[str, str]:
    form = {"service": "sim_replacement", "slot": _slot(hall, hh, mm).strftime("%Y-%m-%dT%H:%M"), "phone": PHONE}
    form.update(kw)
    return form


def _book(hall: Hall, hh: int = 10, phone: str = PHONE, service: str = "sim_replacement") -> Booking:
    return booking_create(hall=hall, service_code=service, slot_start=_slot(hall, hh), phone=phone)


def _next_half_hour(hall: Hall) -> dt.datetime:
    now = timezone.now().astimezone(hall.tz)
    base = now.replace(second=0, microsecond=0, minute=0)
    return base + dt.timedelta(minutes=30 if now.minute < 30 else 60)


def test_the_page_needs_no_login_and_speaks_chinese_then_english(setup: Setup) -> None:
    """Anyone can open the booking page; zh by default, en with the language cookie; unknown hall → 404."""
    response = Client().get(URL)
    assert response.status_code == 200
    assert "预约到厅办理" in response.content.decode()
    english = Client()
    english.cookies["django_language"] = "en"
    assert "Book a visit to the hall" in english.get(URL).content.decode()
    assert Client().get("/hall/nope/book/").status_code == 404


def test_forced_self_service_types_cannot_be_booked(setup: Setup) -> None:
    """Payment is done at kiosks: it is not offered for a booking."""
    body = Client().get(URL).content.decode()
    assert 'value="sim_replacement"' in body and 'value="payment"' not in body


def test_a_round_the_clock_hall_offers_half_hours_from_8_to_20(setup: Setup) -> None:
    """Demo halls are open 24 h: bookings are offered 08:00–20:00 in 30-minute slots (24 a day)."""
    starts = slot_starts(hall=setup.hall, day=_tomorrow(setup.hall))
    assert len(starts) == 24
    assert starts[0].strftime("%H:%M") == "08:00" and starts[-1].strftime("%H:%M") == "19:30"
    body = Client().get(URL + f"slots/?service=sim_replacement&day={_tomorrow(setup.hall)}").content.decode()
    assert body.count('name="slot"') == 24 and "剩 2 个" in body


def test_a_hall_with_opening_hours_offers_slots_within_them(setup: Setup) -> None:
    """A hall open 09:00–17:00 offers 16 slots, the last starting at 16:30."""
    Hall.objects.filter(pk=setup.hall.pk).update(open_24h=False, opens_at=dt.time(9), closes_at=dt.time(17))
    setup.hall.refresh_from_db()
    starts = slot_starts(hall=setup.hall, day=_tomorrow(setup.hall))
    assert [s.strftime("%H:%M") for s in (starts[0], starts[-1])] == ["09:00", "16:30"] and len(starts) == 16


def test_booking_sends_the_code_by_sms_and_confirms_with_the_number_masked(setup: Setup) -> None:
    """A booking gets a 6-digit code, sent through the notification adapter; the confirmation names the time
    and the masked number, never the code."""
    client = Client()
    response = client.post(URL, _form(setup.hall, 10, 30))
    assert response.status_code == 303
    booking = Booking.objects.get()
    assert re.fullmatch(r"\d{6}", booking.code)
    assert (booking.state, booking.phone, booking.slot_start) == ("booked", PHONE, _slot(setup.hall, 10, 30))
    assert booking.day == _tomorrow(setup.hall)
    sms = Notification.objects.get()
    assert (sms.to, sms.purpose, sms.hall_id) == (PHONE, "booking_code", setup.hall.pk)
    assert booking.code in sms.body
    done = client.get(response["Location"]).content.decode()
    assert "138****1234" in done and "10:30–11:00" in done
    assert booking.code not in done and PHONE not in done
    assert "10:00" in done and "10:45" in done  # the check-in window
    assert HallEvent.objects.filter(kind="booking.created").count() == 1


def test_the_sms_is_in_the_language_the_customer_booked_in(setup: Setup) -> None:
    """Booking on the English page sends the code in English, with the English names."""
    name_services(setup)
    client = Client()
    client.cookies["django_language"] = "en"
    assert client.post(URL, _form(setup.hall, 9)).status_code == 303
    body = Notification.objects.get().body
    assert "Check-in code: " + Booking.objects.get().code in body and "SIM replacement" in body


def test_a_forged_confirmation_link_answers_404(setup: Setup) -> None:
    """The confirmation link is signed: another number in it does not show someone else's booking."""
    assert Client().get(URL + "done/1/").status_code == 404


def test_a_full_slot_is_refused_next_to_the_slot_field(setup: Setup) -> None:
    """Capacity 2 by default: the third booking of the same slot and type is refused inline, nothing written;
    another business type in the same slot is still free."""
    _book(setup.hall, phone="13812340001")
    _book(setup.hall, phone="13812340002")
    response = Client().post(URL, _form(setup.hall, phone="13812340003"))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="slot-error"' in body and "该时段已约满" in body
    assert 'aria-invalid="true" aria-describedby="slot-error"' in body
    assert Booking.objects.count() == 2 and Notification.objects.count() == 2
    _book(setup.hall, phone="13812340003", service="value_added")
    slots = day_slots(hall=setup.hall, service=setup.services["sim"], day=_tomorrow(setup.hall), at=timezone.now())
    assert next(s for s in slots if s.start == _slot(setup.hall, 10)).free == 0


def test_the_capacity_is_configurable_per_hall_and_business_type(setup: Setup) -> None:
    """With a capacity of 1 for SIM replacement, the second booking of a slot is refused."""
    SlotCapacity.objects.create(hall=setup.hall, service=setup.services["sim"], capacity=1)
    _book(setup.hall, phone="13812340001")
    with pytest.raises(Invalid) as exc:
        _book(setup.hall, phone="13812340002")
    assert (exc.value.field, exc.value.code) == ("slot", "slot_full")


def test_a_racing_booking_never_overbooks(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two customers read the last place as free at once: the unique place constraint lets one insert win;
    the other reads again and finds the slot full (simulated by a stale first read)."""
    _book(setup.hall, phone="13812340001")
    _book(setup.hall, phone="13812340002")
    real = booking_services._taken_seats
    reads: list[int] = []

    def stale_then_real(*args: object) -> set[int]:
        reads.append(1)
        return set() if len(reads) == 1 else real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(booking_services, "_taken_seats", stale_then_real)
    with pytest.raises(Invalid) as exc:
        _book(setup.hall, phone="13812340003")
    assert exc.value.code == "slot_full" and len(reads) == 2
    assert Booking.objects.count() == 2 and Notification.objects.count() == 2


def test_a_racing_booking_takes_the_next_free_place(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stale read that picks a taken place retries and takes the place still free."""
    _book(setup.hall, phone="13812340001")
    real = booking_services._taken_seats
    reads: list[int] = []

    def stale_then_real(*args: object) -> set[int]:
        reads.append(1)
        return set() if len(reads) == 1 else real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(booking_services, "_taken_seats", stale_then_real)
    _book(setup.hall, phone="13812340002")
    assert sorted(Booking.objects.values_list("seat", flat=True)) == [1, 2]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"slot": ""}, "slot"),
        ({"slot": "2020-01-01T10:00"}, "slot"),
        ({"slot": "tomorrow"}, "slot"),
        ({"service": "payment"}, "service"),
        ({"service": ""}, "service"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(
    setup: Setup, change: dict[str, str], field: str
) -> None:
    """Each bad field gets its inline error (aria-invalid + .field-error); no booking, no SMS, no event."""
    response = Client().post(URL, _form(setup.hall, **change))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.content.decode()
    assert Booking.objects.count() == 0 and Notification.objects.count() == 0 and HallEvent.objects.count() == 0


def test_a_slot_at_a_quarter_past_is_not_a_slot(setup: Setup) -> None:
    """Only the offered half hours can be booked."""
    response = Client().post(URL, _form(setup.hall, 10, 15))
    assert response.status_code == 422 and Booking.objects.count() == 0


def test_one_booking_per_number_and_day(setup: Setup) -> None:
    """The same number cannot hold two bookings on one day (it would block places for others)."""
    _book(setup.hall, 10)
    response = Client().post(URL, _form(setup.hall, 11))
    assert response.status_code == 422 and 'id="phone-error"' in response.content.decode()


def test_check_in_window_from_30_minutes_before_to_15_after(setup: Setup) -> None:
    """Too early and too late are refused with the time; inside the window an appointment-priority ticket is
    issued through ticket_issue; a second check-in is refused."""
    booking = _book(setup.hall, 10)
    kiosk = setup.actor("kiosk")
    start = booking.slot_start
    with pytest.raises(Invalid) as early:
        booking_check_in(actor=kiosk, hall=setup.hall, code=booking.code, at=start - dt.timedelta(minutes=31))
    assert early.value.code == "too_early" and "09:30" in early.value.message
    with pytest.raises(Invalid) as late:
        booking_check_in(actor=kiosk, hall=setup.hall, code=booking.code, at=start + dt.timedelta(minutes=16))
    assert late.value.code == "too_late" and "10:15" in late.value.message
    assert Ticket.objects.count() == 0
    result = booking_check_in(actor=kiosk, hall=setup.hall, code=booking.code, at=start - dt.timedelta(minutes=30))
    ticket = result.issue.ticket
    assert (ticket.channel, ticket.priority, ticket.service.code, ticket.phone) == (
        "appointment",
        "appointment",
        "sim_replacement",
        PHONE,
    )
    booking.refresh_from_db()
    assert (booking.state, booking.ticket_id) == ("checked_in", ticket.pk)
    with pytest.raises(Conflict):
        booking_check_in(actor=kiosk, hall=setup.hall, code=booking.code, at=start)
    assert Ticket.objects.count() == 1


def test_a_wrong_or_malformed_code_is_refused(setup: Setup) -> None:
    """A code of another hall or no booking → not found; not 6 digits → invalid."""
    booking = _book(setup.hall, 10)
    with pytest.raises(NotFound):
        booking_check_in(actor=setup.actor("admin"), hall=setup.other_hall, code=booking.code, at=booking.slot_start)
    with pytest.raises(Invalid):
        booking_check_in(actor=setup.actor("kiosk"), hall=setup.hall, code="12ab", at=booking.slot_start)


def _booking_due_now(setup: Setup) -> Booking:
    """A booking for the next half hour (inside the check-in window now), made directly: the page only books
    slots that have not started, and this one may start in a minute."""
    start = _next_half_hour(setup.hall)
    return Booking.objects.create(
        hall=setup.hall,
        service=setup.services["sim"],
        slot_start=start,
        day=start.date(),
        seat=1,
        phone=PHONE,
        code="123456",
        created_at=timezone.now(),
    )


def test_the_kiosk_checks_a_booking_in_and_prints_an_appointment_ticket(setup: Setup) -> None:
    """At the kiosk: a bad code is refused next to the field; the right one prints an appointment ticket once
    (a retried tap shows the same ticket)."""
    booking = _booking_due_now(setup)
    kiosk = device(setup)
    page = kiosk.get("/hall/h1/kiosk/checkin/")
    assert page.status_code == 200 and "预约签到" in page.content.decode()
    bad = kiosk.post("/hall/h1/kiosk/checkin/", {"tap": tap_of(page), "code": "654321"})
    assert bad.status_code == 404
    assert 'id="code-error"' in bad.content.decode() and "本厅没有该签到码的预约" in bad.content.decode()
    tap = tap_of(bad)
    good = kiosk.post("/hall/h1/kiosk/checkin/", {"tap": tap, "code": booking.code})
    assert good.status_code == 303
    again = kiosk.post("/hall/h1/kiosk/checkin/", {"tap": tap, "code": booking.code})
    assert again["Location"] == good["Location"]
    ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.channel) == ("appointment", "appointment")
    assert ticket.number in kiosk.get(good["Location"]).content.decode()


def test_the_greeter_checks_a_booking_in(setup: Setup) -> None:
    """At the greeter tablet: the code gives an appointment ticket; a second check-in is refused inline."""
    booking = _booking_due_now(setup)
    greeter = login("greeter")
    response = greeter.post(
        "/hall/h1/greeter/checkin/", {"tap": tap_of(greeter.get("/hall/h1/greeter/")), "code": booking.code}
    )
    assert response.status_code == 303
    assert Ticket.objects.get().priority == "appointment"
    refused = greeter.post(
        "/hall/h1/greeter/checkin/", {"tap": tap_of(greeter.get("/hall/h1/greeter/")), "code": booking.code}
    )
    assert refused.status_code == 409 and 'id="checkin-error"' in refused.content.decode()
    assert Ticket.objects.count() == 1


def test_a_customer_cancels_with_code_and_number_and_the_place_is_free_again(setup: Setup) -> None:
    """Cancelling frees the place: with capacity 1, another customer can then book the slot."""
    SlotCapacity.objects.create(hall=setup.hall, service=setup.services["sim"], capacity=1)
    booking = _book(setup.hall, 10, phone="13812340001")
    wrong = Client().post(URL + "cancel/", {"code": booking.code, "phone": "13812340002"})
    assert wrong.status_code == 404 and 'id="cancel-error"' in wrong.content.decode()
    ok = Client().post(URL + "cancel/", {"code": booking.code, "phone": "13812340001"})
    assert ok.status_code == 303
    booking.refresh_from_db()
    assert (booking.state, booking.seat) == ("cancelled", None)
    _book(setup.hall, 10, phone="13812340002")
    with pytest.raises(Conflict):
        booking_check_in(actor=setup.actor("kiosk"), hall=setup.hall, code=booking.code, at=booking.slot_start)


def test_the_no_show_job_closes_bookings_not_checked_in_after_the_slot_and_grace(setup: Setup) -> None:
    """Slot 10:00–10:30 plus 15 minutes' grace: at 10:44 still booked, at 10:45 no_show (once); a checked-in
    booking is left alone."""
    missed = _book(setup.hall, 10, phone="13812340001")
    kept = _book(setup.hall, 10, phone="13812340002")
    booking_check_in(actor=setup.actor("kiosk"), hall=setup.hall, code=kept.code, at=kept.slot_start)
    assert bookings_record_no_shows(at=missed.slot_start + dt.timedelta(minutes=44)) == 0
    assert bookings_record_no_shows(at=missed.slot_start + dt.timedelta(minutes=45)) == 1
    assert bookings_record_no_shows(at=missed.slot_start + dt.timedelta(minutes=50)) == 0
    missed.refresh_from_db()
    kept.refresh_from_db()
    assert (missed.state, kept.state) == ("no_show", "checked_in")
    assert HallEvent.objects.filter(kind="booking.no_show").count() == 1
    with pytest.raises(Conflict) as exc:
        booking_check_in(actor=setup.actor("kiosk"), hall=setup.hall, code=missed.code, at=missed.slot_start)
    assert exc.value.code == "expired"


def test_the_periodic_task_runs_the_job(setup: Setup) -> None:
    """The Huey task (run immediately in tests) marks a past booking no_show."""
    booking = _booking_due_now(setup)
    Booking.objects.filter(pk=booking.pk).update(slot_start=timezone.now() - dt.timedelta(hours=1))
    record_booking_no_shows()
    booking.refresh_from_db()
    assert booking.state == "no_show"


def test_one_address_cannot_book_or_try_codes_without_limit(setup: Setup) -> None:
    """Booking sends an SMS and cancelling takes a code: from one client address, 20 bookings and 10 cancel
    attempts per 15 minutes; the next one is refused inline with 429 and sends nothing. Another address is not
    affected."""
    limit = booking_services.BOOKING_LIMIT
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(limit):
        phone = f"1381234{i:04d}"
        assert client.post(URL, _form(setup.hall, 9 + i % 10, 30 * (i // 10), phone=phone)).status_code == 303
    refused = client.post(URL, _form(setup.hall, 15, phone="13900000001"))
    assert refused.status_code == 429
    assert "15" in refused.content.decode() and Notification.objects.count() == limit
    assert Client(REMOTE_ADDR="203.0.113.8").post(URL, _form(setup.hall, 15, phone="13900000001")).status_code == 303

    for _ in range(booking_services.CANCEL_LIMIT):
        wrong = client.post(URL + "cancel/", {"code": "000000", "phone": PHONE})
        assert wrong.status_code == 404
    booking = Booking.objects.filter(phone="13900000001").get()
    blocked = client.post(URL + "cancel/", {"code": booking.code, "phone": "13900000001"})
    assert blocked.status_code == 429 and 'id="cancel-error"' in blocked.content.decode()
    booking.refresh_from_db()
    assert booking.state == "booked"
