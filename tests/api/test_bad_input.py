"""Bad input to /api/v1: the right 4xx status, a JSON body naming the field, and nothing written.

Every test takes a snapshot of the rows a hall request can write (tickets, hall events, audit rows, idempotency
records, transactions, pre-orders) plus every counter's and ticket's state, sends the bad request, and checks
that the snapshot is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hallops.hall.models import PreOrder, Ticket
from tests.api.helpers import (
    assert_error,
    call_next,
    counter_post,
    issue,
    open_counter,
    resident_id,
    snapshot,
)
from tests.factories import Setup

pytestmark = pytest.mark.django_db

TICKETS = "/halls/h1/tickets"
GOOD = {"service": "sim_replacement", "channel": "kiosk"}


def rejected(response: Any, before: dict[str, Any], status: int, field: str | None, code: str | None = None) -> None:
    """The response is the expected JSON error and the database is exactly as it was before the request."""
    assert_error(response, status, field, code)
    assert snapshot() == before


# ------------------------------------------------------------------------------------------ ticket issue body


def test_good_body_is_accepted(setup: Setup, api: Any) -> None:
    """The reference body the bad-input cases below are derived from is itself accepted (201, one ticket)."""
    response = api.post(TICKETS, as_user="kiosk", body=GOOD)
    assert response.status_code == 201
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    ['{"service": "sim_replacement", "channel": ', "{bad json}", "{'service': 'sim_replacement'}", "\x00\x01"],
    ids=["truncated", "unquoted", "single-quotes", "binary"],
)
def test_malformed_json_is_400(setup: Setup, api: Any, raw: str) -> None:
    """A body that is not a JSON object answers 400 with no field, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", raw=raw), before, 400, None)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"service": 5}, "service"),
        ({"service": None}, "service"),
        ({"channel": ["kiosk"]}, "channel"),
        ({"priority": {"vip": True}}, "priority"),
        ({"star_level": "x"}, "star_level"),
        ({"star_level": 2.5}, "star_level"),
        ({"phone": 13800138000}, "phone"),
        ({"override_reason": 1}, "override_reason"),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else v,
)
def test_wrong_type_is_422_naming_the_field(setup: Setup, api: Any, override: dict[str, Any], field: str) -> None:
    """A value of the wrong JSON type answers 422 naming that field, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, **override}), before, 422, field)


@pytest.mark.parametrize("missing", ["service", "channel"])
def test_missing_required_field_is_422(setup: Setup, api: Any, missing: str) -> None:
    """A body without a required field answers 422 naming it (code required), and writes nothing."""
    body = {k: v for k, v in GOOD.items() if k != missing}
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body=body), before, 422, missing, "required")


@pytest.mark.parametrize(
    ("extra", "value"),
    [
        ("hall", "h2"),
        ("number", "B999"),
        ("status", "called"),
        ("id", 1),
        ("token", "x"),
        ("rank", "2020-01-01T00:00:00Z"),
        ("issued_at", "2020-01-01T00:00:00Z"),
        ("created_by", 1),
        ("counter", 1),
    ],
)
def test_unknown_or_read_only_field_is_422(setup: Setup, api: Any, extra: str, value: Any) -> None:
    """A read-only or unknown field in the body (mass assignment) answers 422 naming it, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, extra: value}), before, 422, extra, "unknown_field")


@pytest.mark.parametrize("raw", [json.dumps([GOOD]), "null", '"text"', "42"], ids=["array", "null", "string", "number"])
def test_json_that_is_not_an_object_is_422(setup: Setup, api: Any, raw: str) -> None:
    """Well-formed JSON that is not an object (array, null, string, number) answers 422, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", raw=raw), before, 422, None)


def test_unknown_service_is_422(setup: Setup, api: Any) -> None:
    """An unknown business type answers 422 naming service, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, "service": "nope"}), before, 422, "service")


def test_inactive_service_is_422(setup: Setup, api: Any) -> None:
    """A business type switched off answers 422 naming service, as if it did not exist."""
    setup.services["vas"].active = False
    setup.services["vas"].save(update_fields=["active"])
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, "service": "value_added"}), before, 422, "service")


@pytest.mark.parametrize("field", ["channel", "priority"])
def test_unknown_choice_is_422(setup: Setup, api: Any, field: str) -> None:
    """An unknown channel or priority answers 422 naming it, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, field: "teleport"}), before, 422, field)


def test_vip_without_star_level_is_422(setup: Setup, api: Any) -> None:
    """A VIP ticket without a star level answers 422 naming star_level, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, "priority": "vip"}), before, 422, "star_level")


@pytest.mark.parametrize("priority", ["normal", "elderly", "appointment"])
def test_star_level_on_non_vip_ticket_is_422(setup: Setup, api: Any, priority: str) -> None:
    """A star level on a ticket that is not VIP answers 422 naming star_level, and writes nothing."""
    before = snapshot()
    body = {**GOOD, "priority": priority, "star_level": 3}
    rejected(api.post(TICKETS, as_user="kiosk", body=body), before, 422, "star_level")


@pytest.mark.parametrize("stars", [-1, 6, 99])
def test_star_level_out_of_range_is_422(setup: Setup, api: Any, stars: int) -> None:
    """A VIP star level outside 1..5 answers 422 naming star_level, and writes nothing."""
    before = snapshot()
    body = {**GOOD, "priority": "vip", "star_level": stars}
    rejected(api.post(TICKETS, as_user="kiosk", body=body), before, 422, "star_level")


@pytest.mark.parametrize("phone", ["123", "not a phone", "+86 1380013800", "1" * 30, "+999 123456"])
def test_invalid_phone_is_422(setup: Setup, api: Any, phone: str) -> None:
    """A phone number that is not a valid number answers 422 naming phone, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, "phone": phone}), before, 422, "phone")


def test_overlong_string_is_422(setup: Setup, api: Any) -> None:
    """A string longer than the field allows answers 422 naming it, and writes nothing."""
    before = snapshot()
    rejected(api.post(TICKETS, as_user="kiosk", body={**GOOD, "service": "s" * 41}), before, 422, "service")


def test_one_megabyte_body_is_4xx_not_500(setup: Setup, api: Any) -> None:
    """A 1 MB body is refused with 413 and a JSON error body (not a 500), and writes nothing."""
    before = snapshot()
    raw = json.dumps({**GOOD, "phone": "1" * 1_000_000})
    rejected(api.post(TICKETS, as_user="kiosk", raw=raw), before, 413, None)


def test_one_megabyte_body_to_a_counter_is_4xx_not_500(setup: Setup, api: Any) -> None:
    """A 1 MB body to a counter action is refused with 413 (not a 500), and the counter stays as it was."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    raw = json.dumps({"reason": "x" * 1_000_000})
    rejected(api.post(f"/counters/{counter}/pause", as_user="agent1", raw=raw), before, 413, None)


# -------------------------------------------------------------------------------------------------- unknown ids

UNKNOWN = 987654


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", f"/tickets/{UNKNOWN}", None, "ticket"),
        ("POST", f"/tickets/{UNKNOWN}/cancel", None, "ticket"),
        ("GET", f"/tickets/{UNKNOWN}/pre-order", None, "ticket"),
        ("PUT", f"/tickets/{UNKNOWN}/pre-order", {"notes": "x"}, "ticket"),
        ("GET", "/tickets/9223372036854775808", None, "ticket"),
        ("POST", f"/counters/{UNKNOWN}/open", None, "counter"),
        ("POST", f"/counters/{UNKNOWN}/close", None, "counter"),
        ("POST", f"/counters/{UNKNOWN}/pause", {"reason": "lunch"}, "counter"),
        ("POST", f"/counters/{UNKNOWN}/call-next", None, "counter"),
        ("POST", f"/counters/{UNKNOWN}/call", {"number": "B001"}, "counter"),
        ("POST", f"/counters/{UNKNOWN}/complete", {}, "counter"),
        ("POST", f"/counters/{UNKNOWN}/walk-in", {"service": "sim_replacement"}, "counter"),
        ("POST", "/counters/9223372036854775808/open", None, "counter"),
        ("GET", "/halls/nowhere/queue", None, "hall"),
        ("POST", "/halls/nowhere/tickets", GOOD, "hall"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unknown_id_is_404(setup: Setup, api: Any, method: str, path: str, body: Any, field: str) -> None:
    """An id or hall code that does not exist answers 404 JSON naming what was not found, and writes nothing."""
    before = snapshot()
    response = api.call(method, path, "admin", body)
    rejected(response, before, 404, field, "not_found")


def test_get_unknown_counter_is_404_json(setup: Setup, api: Any) -> None:
    """GET /counters/{unknown} answers a 404 JSON error body."""
    before = snapshot()
    response = api.get(f"/counters/{UNKNOWN}", as_user="admin")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "field", "message"}
    assert snapshot() == before


def test_non_numeric_id_is_4xx_json(setup: Setup, api: Any) -> None:
    """A ticket id that is not a number answers 422 JSON naming ticket_id, and writes nothing."""
    before = snapshot()
    rejected(api.get("/tickets/abc", as_user="admin"), before, 422, "ticket_id")


def test_resume_of_unknown_ticket_is_404(setup: Setup, api: Any) -> None:
    """Resuming a ticket id that does not exist at an open counter answers 404 naming ticket, writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "resume", body={"ticket": UNKNOWN}), before, 404, "ticket")


def test_call_of_unknown_number_is_404(setup: Setup, api: Any) -> None:
    """Calling a well-formed number nobody holds today answers 404 naming number, writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "call", body={"number": "B042"}), before, 404, "number")


# ---------------------------------------------------------------------------------------------- counter bodies


def test_pause_without_reason_is_422(setup: Setup, api: Any) -> None:
    """Pausing without a reason answers 422 naming reason, and the counter stays open."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "pause", body={}), before, 422, "reason", "required")


def test_pause_with_blank_reason_is_422(setup: Setup, api: Any) -> None:
    """A reason of only spaces is no reason: 422 naming reason, and the counter stays open."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "pause", body={"reason": "   "}), before, 422, "reason")


@pytest.fixture
def serving(setup: Setup, api: Any) -> int:
    """Counter 1 open by agent1 with a called sim_replacement ticket; returns the counter id."""
    counter = setup.counters[0].pk
    issue(api)
    open_counter(api, counter)
    call_next(api, counter)
    return counter


def test_complete_not_completed_without_reason_is_422(api: Any, serving: int) -> None:
    """Completing as not_completed without a reason code answers 422 naming reason; the transaction stays open."""
    before = snapshot()
    rejected(counter_post(api, serving, "complete", body={"outcome": "not_completed"}), before, 422, "reason")


def test_complete_not_completed_with_unknown_reason_is_422(api: Any, serving: int) -> None:
    """A not_completed reason outside the coded list answers 422 naming reason; the transaction stays open."""
    before = snapshot()
    body = {"outcome": "not_completed", "reason": "felt like it"}
    rejected(counter_post(api, serving, "complete", body=body), before, 422, "reason")


def test_complete_with_unknown_outcome_is_422(api: Any, serving: int) -> None:
    """An outcome other than completed/not_completed (e.g. no_show) answers 422 naming outcome."""
    before = snapshot()
    rejected(counter_post(api, serving, "complete", body={"outcome": "no_show"}), before, 422, "outcome")


def test_call_with_malformed_number_is_422(setup: Setup, api: Any) -> None:
    """Calling something that is not a ticket number answers 422 naming number, writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "call", body={"number": "12!"}), before, 422, "number")


def test_transfer_without_target_is_422(api: Any, serving: int) -> None:
    """A transfer naming neither a business type nor a counter answers 422, and the ticket stays called."""
    before = snapshot()
    rejected(counter_post(api, serving, "transfer", body={}), before, 422, "service")


def test_transfer_to_counter_not_serving_the_type_is_422(setup: Setup, api: Any, serving: int) -> None:
    """A transfer of a value_added customer to counter 5 (sim only) answers 422 naming counter, writes nothing."""
    before = snapshot()
    body = {"service": "value_added", "counter": 5}
    rejected(counter_post(api, serving, "transfer", body=body), before, 422, "counter")


def test_transfer_to_unknown_service_is_422(api: Any, serving: int) -> None:
    """A transfer to an unknown business type answers 422 naming service, writes nothing."""
    before = snapshot()
    rejected(counter_post(api, serving, "transfer", body={"service": "nope"}), before, 422, "service")


def test_add_unknown_service_is_422(api: Any, serving: int) -> None:
    """Adding an unknown business type to the visit answers 422 naming service, writes nothing."""
    before = snapshot()
    rejected(counter_post(api, serving, "add-service", body={"service": "nope"}), before, 422, "service")


def test_walk_in_with_unknown_service_is_422(setup: Setup, api: Any) -> None:
    """A walk-in for an unknown business type answers 422 naming service, writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "walk-in", body={"service": "nope"}), before, 422, "service")


def test_resume_with_non_positive_ticket_is_422(setup: Setup, api: Any) -> None:
    """Resuming ticket 0 answers 422 naming ticket, writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "resume", body={"ticket": 0}), before, 422, "ticket")


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("pause", {"reason": "lunch", "agent": 1}, "agent"),
        ("call", {"number": "B001", "counter": 2}, "counter"),
        ("complete", {"outcome": "completed", "service_seconds": 1}, "service_seconds"),
        ("walk-in", {"service": "sim_replacement", "ticket": 1}, "ticket"),
    ],
)
def test_counter_action_extra_field_is_422(setup: Setup, api: Any, action: str, body: Any, field: str) -> None:
    """An unknown field in a counter action body answers 422 naming it, writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, action, body=body), before, 422, field, "unknown_field")


# --------------------------------------------------------------------------------------------------- pre-orders

VALID_ID = resident_id("11010519491231002")


def _pre_order_body(**kw: Any) -> dict[str, Any]:
    return {"customer_name": "张三", "id_type": "resident", "id_number": VALID_ID, "phone": "13800138000", **kw}


def test_resident_id_helper_matches_a_published_example() -> None:
    """The test's own MOD 11-2 computation gives the published check character of a known ID."""
    assert resident_id("11010519491231002") == "11010519491231002X"
    assert resident_id("44052418800101001") == "440524188001010014"


def test_pre_order_with_valid_resident_id_is_saved(setup: Setup, api: Any) -> None:
    """The reference pre-order with a correct check digit is accepted (so the bad cases below differ only there)."""
    ticket = issue(api, "new_subscriber")
    response = api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body=_pre_order_body())
    assert response.status_code == 200, response.content
    assert PreOrder.objects.get(ticket_id=ticket["id"]).id_number == VALID_ID


def test_pre_order_with_bad_check_digit_is_422(setup: Setup, api: Any) -> None:
    """An 18-digit resident ID whose MOD 11-2 check character is wrong answers 422 naming id_number."""
    ticket = issue(api, "new_subscriber")
    good_check = VALID_ID[-1]
    for wrong in "0123456789X":
        if wrong == good_check:
            continue
        before = snapshot()
        body = _pre_order_body(id_number=VALID_ID[:17] + wrong)
        response = api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body=body)
        rejected(response, before, 422, "id_number", "id_checksum")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"id_number": VALID_ID[:17]}, "id_number"),
        ({"id_number": "11010519491331" + "0000"}, "id_number"),
        ({"id_type": "library_card"}, "id_type"),
        ({"id_type": ""}, "id_type"),
        ({"phone": "12345"}, "phone"),
        ({"state": "executed"}, "state"),
        ({"service": "nope"}, "service"),
        ({"products": ["x"] * 51}, "products"),
        ({"ticket": 1}, "ticket"),
        ({"editor": 1}, "editor"),
    ],
    ids=[
        "id-too-short",
        "id-bad-birth-date",
        "unknown-id-type",
        "id-without-type",
        "bad-phone",
        "state-executed",
        "unknown-service",
        "too-many-products",
        "read-only-ticket",
        "read-only-editor",
    ],
)
def test_pre_order_bad_value_is_422(setup: Setup, api: Any, override: dict[str, Any], field: str) -> None:
    """A bad pre-order value answers 422 naming the field, and no pre-order, event or audit row is written."""
    ticket = issue(api, "new_subscriber")
    before = snapshot()
    response = api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body=_pre_order_body(**override))
    rejected(response, before, 422, field)


def test_pre_order_put_after_call_is_409_and_changes_nothing(setup: Setup, api: Any) -> None:
    """Once the ticket is called the pre-order is read-only: PUT answers 409 and the stored pre-order is unchanged."""
    ticket = issue(api, "new_subscriber")
    path = f"/tickets/{ticket['id']}/pre-order"
    assert api.put(path, as_user="clerk", body=_pre_order_body(notes="first")).status_code == 200
    stored = PreOrder.objects.values().get(ticket_id=ticket["id"])
    counter = setup.counters[0].pk
    open_counter(api, counter)
    assert call_next(api, counter)["ticket"]["id"] == ticket["id"]
    before = snapshot()
    response = api.put(path, as_user="clerk", body=_pre_order_body(notes="second", customer_name="李四"))
    rejected(response, before, 409, "ticket", "ticket_called")
    assert PreOrder.objects.values().get(ticket_id=ticket["id"]) == stored


def test_pre_order_put_on_a_stale_version_is_409_and_keeps_the_newer_content(setup: Setup, api: Any) -> None:
    """Two tablets read version 1; the first saves (version 2); the second's save based on version 1 answers 409
    stale_version and the first's content stays. Without ``version`` the last save wins, as before."""
    ticket = issue(api, "new_subscriber")
    path = f"/tickets/{ticket['id']}/pre-order"
    first = api.put(path, as_user="clerk", body=_pre_order_body(notes="v1", version=0))
    assert first.status_code == 200 and first.json()["version"] == 1
    assert api.put(path, as_user="clerk", body=_pre_order_body(notes="tablet A", version=1)).json()["version"] == 2
    before = snapshot()
    response = api.put(path, as_user="clerk", body=_pre_order_body(notes="tablet B", version=1))
    rejected(response, before, 409, "version", "stale_version")
    assert PreOrder.objects.get(ticket_id=ticket["id"]).notes == "tablet A"
    assert api.put(path, as_user="clerk", body=_pre_order_body(notes="no check")).status_code == 200
    for bad in (-1, "two", 2**40):
        bad_response = api.put(path, as_user="clerk", body=_pre_order_body(version=bad))
        assert bad_response.status_code == 422 and "version" in bad_response.content.decode()


# ------------------------------------------------------------------------------------------- illegal transitions


def test_arrive_without_transaction_is_409(setup: Setup, api: Any) -> None:
    """Marking arrival at an open counter with nobody called answers 409, and writes nothing."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "arrive"), before, 409, "counter", "no_transaction")


def test_recall_after_complete_is_409(serving: int, api: Any) -> None:
    """Recalling after the transaction was completed answers 409, and writes nothing."""
    assert counter_post(api, serving, "complete").status_code == 200
    before = snapshot()
    response = counter_post(api, serving, "recall")
    assert_error(response, 409, "counter")
    assert snapshot() == before


def test_call_next_while_transaction_open_is_409(serving: int, api: Any) -> None:
    """call-next while the counter still has an open transaction answers 409 and calls nobody else."""
    issue(api)
    before = snapshot()
    rejected(api.post(f"/counters/{serving}/call-next", as_user="agent1"), before, 409, "counter", "transaction_open")
    assert Ticket.objects.filter(status="waiting").count() == 1


def test_complete_twice_is_409(serving: int, api: Any) -> None:
    """Completing a second time answers 409 (no second transaction.done event), writes nothing."""
    assert counter_post(api, serving, "complete").status_code == 200
    before = snapshot()
    rejected(counter_post(api, serving, "complete"), before, 409, "counter", "no_transaction")


def test_phase_going_backwards_is_409(serving: int, api: Any) -> None:
    """After start-operation, arrive (an earlier phase) answers 409 naming phase, writes nothing."""
    assert counter_post(api, serving, "start-operation").status_code == 200
    before = snapshot()
    rejected(counter_post(api, serving, "arrive"), before, 409, "phase", "illegal_transition")


def test_action_at_closed_counter_is_409(setup: Setup, api: Any) -> None:
    """call-next at a counter nobody opened answers 409 counter_closed, writes nothing."""
    before = snapshot()
    response = api.post(f"/counters/{setup.counters[0].pk}/call-next", as_user="agent1")
    rejected(response, before, 409, "counter", "counter_closed")


def test_call_next_at_paused_counter_is_409(setup: Setup, api: Any) -> None:
    """call-next at one's own paused counter answers 409 counter_paused and calls nobody."""
    counter = setup.counters[0].pk
    issue(api)
    open_counter(api, counter)
    assert counter_post(api, counter, "pause", body={"reason": "lunch"}).status_code == 200
    before = snapshot()
    rejected(api.post(f"/counters/{counter}/call-next", as_user="agent1"), before, 409, "counter", "counter_paused")


def test_close_with_open_transaction_is_409(serving: int, api: Any) -> None:
    """Closing a counter while a customer is being served answers 409 and the counter stays open."""
    before = snapshot()
    rejected(api.post(f"/counters/{serving}/close", as_user="agent1"), before, 409, "counter", "transaction_open")


def test_no_show_for_walk_in_is_409(setup: Setup, api: Any) -> None:
    """A walk-in has no ticket: no-show answers 409, and the walk-in transaction stays open."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    assert counter_post(api, counter, "walk-in", body={"service": "sim_replacement"}).status_code == 200
    before = snapshot()
    rejected(counter_post(api, counter, "no-show"), before, 409, "counter", "no_ticket")


def test_resume_of_ticket_that_is_not_parked_is_409(setup: Setup, api: Any) -> None:
    """Resuming a waiting ticket (never parked at this counter) answers 409, writes nothing."""
    waiting = issue(api)
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    response = counter_post(api, counter, "resume", body={"ticket": waiting["id"]})
    assert_error(response, 409, "ticket")
    assert snapshot() == before


def test_add_service_already_in_visit_is_409(api: Any, serving: int) -> None:
    """Adding the visit's own business type again answers 409 naming service, writes nothing."""
    before = snapshot()
    rejected(counter_post(api, serving, "add-service", body={"service": "sim_replacement"}), before, 409, "service")


def test_call_of_done_ticket_is_409(serving: int, api: Any) -> None:
    """Calling by number a ticket that was already served answers 409, writes nothing."""
    assert counter_post(api, serving, "complete").status_code == 200
    before = snapshot()
    rejected(counter_post(api, serving, "call", body={"number": "B001"}), before, 409, "number")


def test_cancel_of_done_ticket_is_409(serving: int, api: Any) -> None:
    """Cancelling a ticket that was already served answers 409 naming status, writes nothing."""
    ticket_id = Ticket.objects.get().pk
    assert counter_post(api, serving, "complete").status_code == 200
    before = snapshot()
    response = api.post(f"/tickets/{ticket_id}/cancel", as_user="greeter")
    rejected(response, before, 409, "status", "illegal_transition")


# ------------------------------------------------------------------------------------------------ NUL characters


@pytest.mark.parametrize("field", ["service", "channel", "priority", "phone", "override_reason"])
def test_nul_character_in_ticket_field_is_422(setup: Setup, api: Any, field: str) -> None:
    """A NUL character in a ticket field answers 422 naming it (PostgreSQL cannot store it: never a 5xx)."""
    before = snapshot()
    body = {**GOOD, "override_reason": "", field: "sim\x00replacement"}
    rejected(api.post(TICKETS, as_user="greeter", body=body), before, 422, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notes": "bring\x00ID"}, "notes"),
        ({"customer_name": "张\x00三"}, "customer_name"),
        ({"products": ["5G\x00plan"]}, "products"),
        ({"documents": ["ok", "\x00"]}, "documents"),
    ],
    ids=["notes", "customer_name", "products", "documents"],
)
def test_nul_character_in_pre_order_is_422(setup: Setup, api: Any, body: dict[str, Any], field: str) -> None:
    """A NUL character in a pre-order text or list answers 422 naming the field, and nothing is written."""
    ticket = issue(api, "new_subscriber")
    before = snapshot()
    rejected(api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body=body), before, 422, field)


def test_nul_character_in_pause_reason_is_422(setup: Setup, api: Any) -> None:
    """A NUL character in a pause reason answers 422 naming reason; the counter stays open."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    before = snapshot()
    rejected(counter_post(api, counter, "pause", body={"reason": "lu\x00nch"}), before, 422, "reason")


def test_nul_character_in_login_is_422(setup: Setup, api: Any) -> None:
    """A NUL character in the login username answers 422 naming username (not a 5xx), and no token is made."""
    from hallops.accounts.models import ApiToken

    response = api.post("/auth/token", body={"username": "agent1\x00", "password": "pw-agent1"})
    assert_error(response, 422, "username")
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_nul_character_in_hall_code_is_404(setup: Setup, api: Any, method: str) -> None:
    """A hall code with a NUL character is an unknown hall: 404 naming hall, nothing written."""
    before = snapshot()
    path = "/halls/h1%00/queue" if method == "GET" else "/halls/h1%00/tickets"
    rejected(api.call(method, path, "admin", GOOD if method == "POST" else None), before, 404, "hall")
