"""The pre-acceptance tablet /hall/<code>/preaccept/: who may use it, the waiting list, field checks as the clerk
types (errors inline, nothing saved), saving a draft and marking it ready, one editor at a time, concurrent edits
shown as a conflict, and the pre-order read-only once the ticket is called."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hallops.audit.models import AuditLog
from hallops.hall import services
from hallops.hall.models import PreOrder, Ticket
from tests.api.helpers import snapshot
from tests.factories import Setup

pytestmark = pytest.mark.django_db

URL = "/hall/h1/preaccept/"
GOOD_ID = "11010519491231002X"


def client_for(setup: Setup, username: str, lang: str | None = "en") -> Client:
    client = Client()
    client.force_login(setup.users[username])
    if lang:
        client.cookies["django_language"] = lang
    return client


def issue(setup: Setup, service: str = "new") -> Ticket:
    return services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code=setup.services[service].code, channel="greeter"
    ).ticket


def form(version: int = 0, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer_name": "李四",
        "id_type": "resident",
        "id_number": GOOD_ID,
        "phone": "13812345678",
        "products": "5G 畅享 129\n宽带 300M",
        "documents": ["id_original", "id_copy"],
        "notes": "",
        "version": version,
    }
    data.update(fields)
    return data


def hx_post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data, HTTP_HX_REQUEST="true")


def text(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------------------------------- access


def test_anonymous_visitors_go_to_the_login_page(setup: Setup) -> None:
    """Nobody logged in: redirect to /login/."""
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("username", ["kiosk", "display", "greeter", "auditor"])
def test_roles_without_preorder_edit_get_403(setup: Setup, username: str) -> None:
    """Kiosk and display logins, greeters and auditors may not fill pre-orders."""
    ticket = issue(setup)
    client = client_for(setup, username)
    assert client.get(URL).status_code == 403
    assert hx_post(client, f"{URL}{ticket.pk}/save/", form()).status_code == 403
    assert not PreOrder.objects.exists()


@pytest.mark.parametrize("username", ["clerk", "agent1", "manager", "admin"])
def test_clerks_agents_managers_and_admins_use_it(setup: Setup, username: str) -> None:
    """The roles with preorder.edit open the tablet."""
    assert client_for(setup, username).get(URL).status_code == 200


def test_another_hall_is_404_and_its_tickets_too(setup: Setup) -> None:
    """Hall h2's agent does not see h1's tablet; a ticket of h1 is not found through h2's tablet."""
    ticket = issue(setup)
    assert client_for(setup, "agent_b").get(URL).status_code == 404
    assert client_for(setup, "admin").get(f"/hall/h2/preaccept/{ticket.pk}/").status_code == 404


def test_chinese_by_default_english_with_the_cookie(setup: Setup) -> None:
    """zh-Hans first; the language cookie switches to English."""
    issue(setup)
    zh = text(client_for(setup, "clerk", lang=None).get(URL))
    assert "预受理" in zh and "Waiting for pre-acceptance" not in zh
    assert "Waiting for pre-acceptance" in text(client_for(setup, "clerk").get(URL))


# ------------------------------------------------------------------------------------------------ the list


def test_the_list_holds_waiting_pre_acceptance_tickets_in_queue_order(setup: Setup) -> None:
    """New-subscriber tickets (pre-acceptance-capable) are listed with their pre-order state; SIM ones are not."""
    first, _sim, second = issue(setup), issue(setup, "sim"), issue(setup)
    services.preorder_save(actor=setup.actor("clerk"), ticket_id=second.pk, data={"customer_name": "x"}, state="ready")
    body = text(client_for(setup, "clerk").get(f"{URL}list/"))
    assert body.index(f'data-ticket="{first.number}"') < body.index(f'data-ticket="{second.number}"')
    assert 'id="waiting-count">2<' in body
    assert "B001" not in body
    assert "pre-order ready" in body and "none yet" in body
    assert 'hx-trigger="hallrefresh from:body"' in body


# ------------------------------------------------------------------------------------- field checks, inline


def test_a_wrong_check_digit_is_shown_on_the_field_and_nothing_is_written(setup: Setup) -> None:
    """The change check answers the ID field with its error (aria-invalid, described by the error)."""
    ticket = issue(setup)
    client = client_for(setup, "clerk")
    before = snapshot()
    response = hx_post(
        client, f"{URL}{ticket.pk}/validate/", {**form(id_number="110105194912310021"), "field": "id_number"}
    )
    body = text(response)
    assert response.status_code == 200
    assert 'id="field-id_number"' in body and "The check digit does not match" in body
    assert 'aria-invalid="true"' in body and 'aria-describedby="id_id_number_error"' in body
    assert 'id="id_id_number_error"' in body
    assert snapshot() == before


def test_a_valid_id_typed_in_full_width_passes_and_is_stored_normalised(setup: Setup) -> None:
    """Full-width digits and a lower-case x (Chinese input methods) pass the check and are saved normalised."""
    ticket = issue(setup)
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    client = client_for(setup, "clerk")
    response = hx_post(client, f"{URL}{ticket.pk}/validate/", {**form(id_number=full_width), "field": "id_number"})
    assert 'id="field-id_number"' in text(response) and "field-error" not in text(response)
    hx_post(client, f"{URL}{ticket.pk}/save/", {**form(id_number=full_width), "state": "draft"})
    assert PreOrder.objects.get(ticket=ticket).id_number == GOOD_ID


@pytest.mark.parametrize(
    ("fields", "name", "message"),
    [
        ({"phone": "12345"}, "phone", "Not a valid mainland or international phone number."),
        ({"id_type": "", "id_number": GOOD_ID}, "id_number", "Choose the document type first."),
        ({"id_type": "passport", "id_number": "E1234567!"}, "id_number", "wrong format"),
        ({"id_type": "resident", "id_number": "1101051949"}, "id_number", "wrong length"),
    ],
)
def test_field_checks_name_the_field(setup: Setup, fields: dict[str, str], name: str, message: str) -> None:
    """Each field's check answers that field with the reason."""
    ticket = issue(setup)
    response = hx_post(client_for(setup, "clerk"), f"{URL}{ticket.pk}/validate/", {**form(**fields), "field": name})
    assert f'id="field-{name}"' in text(response) and message in text(response)


def test_saving_with_errors_marks_every_bad_field_and_saves_nothing(setup: Setup) -> None:
    """Save runs all checks: both bad fields are marked at once, 422, and no pre-order exists."""
    ticket = issue(setup)
    before = snapshot()
    response = hx_post(
        client_for(setup, "clerk"),
        f"{URL}{ticket.pk}/save/",
        {**form(id_number="110105194912310021", phone="999"), "state": "ready"},
    )
    body = text(response)
    assert response.status_code == 422
    assert "Correct the marked fields." in body
    assert "The check digit does not match" in body and "Not a valid mainland or international phone number." in body
    assert body.count('aria-invalid="true"') == 2
    assert 'value="李四"' in body  # what the clerk typed stays
    assert snapshot() == before


# -------------------------------------------------------------------------------------------------- saving


def test_save_a_draft_then_mark_it_ready(setup: Setup) -> None:
    """A draft is saved with normalised data; marking ready moves it to ready, version by version."""
    ticket = issue(setup)
    client = client_for(setup, "clerk")
    response = hx_post(client, f"{URL}{ticket.pk}/save/", {**form(phone="+86 138 1234 5678"), "state": "draft"})
    assert response.status_code == 200 and "Saved as a draft." in text(response)
    pre = PreOrder.objects.get(ticket=ticket)
    assert (pre.state, pre.phone, pre.id_number, pre.version) == ("draft", "13812345678", GOOD_ID, 1)
    assert pre.products == ["5G 畅享 129", "宽带 300M"] and pre.documents == ["id_original", "id_copy"]
    response = hx_post(client, f"{URL}{ticket.pk}/save/", {**form(version=1), "state": "ready"})
    assert f"Marked ready: the counter sees it when it calls {ticket.number}." in text(response)
    pre.refresh_from_db()
    assert (pre.state, pre.version) == ("ready", 2)
    assert 'name="version" value="2"' in text(response)


def test_a_stale_version_is_a_conflict_shown_inline(setup: Setup) -> None:
    """Two tablets opened the same pre-order; the second to save is told it changed (409), nothing overwritten."""
    ticket = issue(setup)
    client = client_for(setup, "clerk")
    hx_post(client, f"{URL}{ticket.pk}/save/", {**form(customer_name="first"), "state": "draft"})
    hx_post(client, f"{URL}{ticket.pk}/save/", {**form(version=1, customer_name="second"), "state": "draft"})
    before = snapshot()
    stale = hx_post(client, f"{URL}{ticket.pk}/save/", {**form(version=1, customer_name="stale"), "state": "ready"})
    assert stale.status_code == 409
    assert "This pre-order was changed since you opened it." in text(stale)
    assert "Reload the latest version" in text(stale)
    assert snapshot() == before
    assert PreOrder.objects.get(ticket=ticket).customer_name == "second"


def test_one_editor_at_a_time(setup: Setup) -> None:
    """While one clerk holds the pre-order, another sees it read-only and a save by them is refused inline."""
    ticket = issue(setup)
    hx_post(client_for(setup, "clerk"), f"{URL}{ticket.pk}/save/", {**form(), "state": "draft"})
    other = client_for(setup, "agent2")
    opened = text(other.get(f"{URL}{ticket.pk}/", HTTP_HX_REQUEST="true"))
    assert 'data-editable="0"' in opened and "clerk is editing this pre-order" in opened
    before = snapshot()
    response = hx_post(other, f"{URL}{ticket.pk}/save/", {**form(version=1), "state": "ready"})
    assert response.status_code == 409
    assert "Another clerk is editing this pre-order." in text(response)
    assert snapshot() == before


def test_read_only_once_the_ticket_is_called(setup: Setup) -> None:
    """After the counter calls the ticket the tablet shows the pre-order read-only, and saving is refused."""
    ticket = issue(setup)
    client = client_for(setup, "clerk")
    hx_post(client, f"{URL}{ticket.pk}/save/", {**form(), "state": "ready"})
    agent = setup.actor("agent1")
    services.counter_open(actor=agent, counter_id=setup.counters[2].pk)
    services.counter_call_next(actor=agent, counter_id=setup.counters[2].pk)
    opened = text(client.get(f"{URL}{ticket.pk}/", HTTP_HX_REQUEST="true"))
    assert 'data-editable="0"' in opened
    assert "The ticket has been called to counter 3: the pre-order is read-only." in opened
    assert "<form" not in opened.split('id="editor-readonly"')[1]
    before = snapshot()
    response = hx_post(client, f"{URL}{ticket.pk}/save/", {**form(version=1), "state": "draft"})
    assert response.status_code == 409
    assert "The ticket has been called: the pre-order is now read-only." in text(response)
    assert snapshot() == before
    assert f'data-ticket="{ticket.number}"' not in text(client.get(f"{URL}list/"))


def test_opening_a_pre_order_with_personal_data_is_audited(setup: Setup) -> None:
    """The clerk sees the ID and phone to edit them: that view is recorded in the audit log (not live reloads)."""
    ticket = issue(setup)
    client = client_for(setup, "clerk")
    hx_post(client, f"{URL}{ticket.pk}/save/", {**form(), "state": "draft"})
    views = AuditLog.objects.filter(action="customer.view_pii").count()
    body = text(client.get(f"{URL}{ticket.pk}/", HTTP_HX_REQUEST="true"))
    assert f'value="{GOOD_ID}"' in body
    assert AuditLog.objects.filter(action="customer.view_pii").count() == views + 1
    client.get(f"{URL}{ticket.pk}/?refresh=1", HTTP_HX_REQUEST="true")
    assert AuditLog.objects.filter(action="customer.view_pii").count() == views + 1


def test_a_ticket_of_a_type_without_pre_acceptance_is_not_found(setup: Setup) -> None:
    """SIM replacement is not pre-acceptance-capable: its ticket has no pre-order page."""
    ticket = issue(setup, "sim")
    assert client_for(setup, "clerk").get(f"{URL}{ticket.pk}/").status_code == 404


def test_the_full_page_opens_with_the_ticket_from_its_address(setup: Setup) -> None:
    """/preaccept/<id>/ without htmx (a reload) is the whole tablet with that ticket open."""
    ticket = issue(setup)
    body = text(client_for(setup, "clerk").get(f"{URL}{ticket.pk}/"))
    assert "<html" in body and 'id="waiting"' in body and f'data-ticket="{ticket.number}" data-editable="1"' in body


def test_the_list_reads_a_fixed_number_of_queries(setup: Setup) -> None:
    """Reloaded on every hall event: its queries do not grow with the waiting tickets and their pre-orders."""
    client = client_for(setup, "clerk")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{URL}list/").status_code == 200
        return len(ctx.captured_queries)

    first = issue(setup)
    services.preorder_save(actor=setup.actor("clerk"), ticket_id=first.pk, data={"customer_name": "a"})
    small = queries()
    for _ in range(5):
        ticket = issue(setup)
        services.preorder_save(actor=setup.actor("agent2"), ticket_id=ticket.pk, data={"customer_name": "b"})
    assert queries() == small
