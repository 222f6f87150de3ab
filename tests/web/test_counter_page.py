"""The counter workstation /hall/<code>/counter/<n>/: who may open it, that every action through the page leaves
the same state as the service called directly, refused actions shown inline without a write, the upselling
banner, the queue for what the counter serves, and the pre-order card with masked personal data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hallops.audit.models import AuditLog
from hallops.core.states import PreOrderState
from hallops.hall import services
from hallops.hall.models import HallEvent, ServiceTransaction, Ticket
from hallops.organisation.access import Actor, actor_for_user
from hallops.organisation.models import Counter
from tests.api.helpers import snapshot
from tests.factories import Setup

pytestmark = pytest.mark.django_db

URL = "/hall/h1/counter/{n}/"


def client_for(setup: Setup, username: str, lang: str | None = None) -> Client:
    client = Client()
    client.force_login(setup.users[username])
    if lang:
        client.cookies["django_language"] = lang
    return client


def page_actor(setup: Setup, client: Client, username: str) -> Actor:
    """The actor the pages act as for this browser session (the live session is per browser session)."""
    return actor_for_user(setup.users[username], session_ref=f"web:{client.session.session_key[:20]}")


def do(client: Client, n: int, action: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(f"{URL.format(n=n)}do/{action}/", data or {}, HTTP_HX_REQUEST="true")


def issue(setup: Setup, service: str = "new", **kw: Any) -> Ticket:
    actor = setup.actor("greeter")
    return services.ticket_issue(
        actor=actor, hall=setup.hall, service_code=setup.services[service].code, channel="greeter", **kw
    ).ticket


def text(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------------------------------- access


def test_anonymous_visitors_are_sent_to_the_login_page(setup: Setup) -> None:
    """Nobody logged in: a redirect to /login/ that comes back to the counter."""
    response = Client().get(URL.format(n=1))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fhall%2Fh1%2Fcounter%2F1%2F"


@pytest.mark.parametrize("username", ["kiosk", "display", "greeter", "clerk", "auditor"])
def test_roles_without_counter_operate_get_403(setup: Setup, username: str) -> None:
    """Kiosk and display logins, greeters, clerks and auditors may not work a counter."""
    response = client_for(setup, username).get(URL.format(n=1))
    assert response.status_code == 403
    post = do(client_for(setup, username), 1, "open")
    assert post.status_code == 403
    assert Counter.objects.get(pk=setup.counters[0].pk).status == "closed"


def test_another_halls_agent_and_an_unknown_counter_get_404(setup: Setup) -> None:
    """An agent of hall h2 does not see hall h1's counter; counter 99 does not exist."""
    assert client_for(setup, "agent_b").get(URL.format(n=1)).status_code == 404
    assert do(client_for(setup, "agent_b"), 1, "open").status_code == 404
    assert client_for(setup, "agent1").get(URL.format(n=99)).status_code == 404
    assert client_for(setup, "agent1").get("/hall/h2/counter/1/").status_code == 404


@pytest.mark.parametrize("username", ["agent1", "manager", "admin"])
def test_agents_managers_and_admins_open_the_page(setup: Setup, username: str) -> None:
    """The roles with counter.operate see the workstation, with the live connection and the shortcuts."""
    response = client_for(setup, username).get(URL.format(n=1))
    assert response.status_code == 200
    body = text(response)
    assert 'id="counter-panel"' in body and 'hx-trigger="hallrefresh from:body"' in body
    assert 'data-hall="h1"' in body and "hallops/counter.js" in body


def test_the_page_is_chinese_by_default_and_english_with_the_language_cookie(setup: Setup) -> None:
    """zh-Hans first; the django_language cookie switches the same page to English."""
    zh = text(client_for(setup, "agent1").get(URL.format(n=1)))
    assert "开窗" in zh and "窗口 1" in zh and "Open the counter" not in zh
    en = text(client_for(setup, "agent1", lang="en").get(URL.format(n=1)))
    assert "Open the counter" in en and "Counter 1" in en and "开窗" not in en


def test_unknown_actions_are_404_and_reads_are_not_posts(setup: Setup) -> None:
    """Only the listed actions exist; an action must be a POST."""
    client = client_for(setup, "agent1")
    assert do(client, 1, "explode").status_code == 404
    assert client.get(f"{URL.format(n=1)}do/open/").status_code == 405


# ------------------------------------------------------------------------- the page does what the service does

# Each action of the page and the service call it stands for (same arguments).
SERVICE: dict[str, Callable[[Actor, int, dict[str, Any]], Any]] = {
    "call-next": lambda a, c, d: services.counter_call_next(actor=a, counter_id=c),
    "recall": lambda a, c, d: services.counter_recall(actor=a, counter_id=c),
    "arrive": lambda a, c, d: services.counter_arrive(actor=a, counter_id=c),
    "communication": lambda a, c, d: services.counter_start_communication(actor=a, counter_id=c),
    "operation": lambda a, c, d: services.counter_start_operation(actor=a, counter_id=c),
    "done": lambda a, c, d: services.counter_complete(
        actor=a, counter_id=c, outcome=d.get("outcome", "completed"), reason=d.get("reason", "")
    ),
    "no-show": lambda a, c, d: services.counter_no_show(actor=a, counter_id=c),
    "park": lambda a, c, d: services.counter_park(actor=a, counter_id=c),
    "transfer": lambda a, c, d: services.counter_transfer(
        actor=a, counter_id=c, service_code=d.get("service") or None, to_counter_number=d.get("to_counter")
    ),
    "add-service": lambda a, c, d: services.counter_add_service(actor=a, counter_id=c, service_code=d["service"]),
}

SEQUENCES = {
    "all phases, completed": [
        ("call-next", {}),
        ("arrive", {}),
        ("communication", {}),
        ("operation", {}),
        ("done", {"outcome": "completed"}),
    ],
    "not completed with a reason": [
        ("call-next", {}),
        ("communication", {}),
        ("done", {"outcome": "not_completed", "reason": "missing_documents"}),
    ],
    "recall then no-show": [("call-next", {}), ("recall", {}), ("no-show", {})],
    "transfer to another type": [("call-next", {}), ("arrive", {}), ("transfer", {"service": "value_added"})],
    "transfer to a counter": [("call-next", {}), ("transfer", {"to_counter": 3})],
    "park": [("call-next", {}), ("arrive", {}), ("park", {})],
    "second business type": [
        ("call-next", {}),
        ("add-service", {"service": "value_added"}),
        ("operation", {}),
        ("done", {}),
    ],
}


def state_of(ticket: Ticket) -> dict[str, Any]:
    """What an action leaves: the ticket, its transactions phase by phase and any transfer child."""
    ticket.refresh_from_db()
    txs = ServiceTransaction.objects.filter(ticket=ticket).order_by("id")
    return {
        "status": ticket.status,
        "held": ticket.counter_id is not None,
        "transactions": [
            (
                tx.phase,
                tx.outcome,
                tx.reason,
                tx.limit_seconds,
                tx.arrived_at is not None,
                tx.communication_at is not None,
                tx.operation_at is not None,
                tx.done_at is not None,
                tx.service_seconds is not None,
                sorted(s.code for s in tx.extra_services.all()),
            )
            for tx in txs
        ],
        "children": [
            (c.status, c.number == ticket.number, c.issued_at == ticket.issued_at, c.service.code, c.target_counter_id)
            for c in Ticket.objects.filter(parent=ticket)
        ],
    }


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_every_action_through_the_page_leaves_the_state_the_service_gives(setup: Setup, name: str) -> None:
    """Counter 1 driven through the page and counter 2 through the services, the same steps: same end state."""
    first, second = issue(setup), issue(setup)
    client = client_for(setup, "agent1")
    assert do(client, 1, "open").status_code == 200
    direct = setup.actor("agent2")
    services.counter_open(actor=direct, counter_id=setup.counters[1].pk)
    for action, data in SEQUENCES[name]:
        response = do(client, 1, action, data)
        assert response.status_code == 200, text(response)
        assert 'id="counter-error"' not in text(response)
        SERVICE[action](direct, setup.counters[1].pk, data)
    by_page, by_service = state_of(first), state_of(second)
    if by_page["children"]:  # a transfer to counter 3 targets the same counter either way
        assert by_page["children"][0][4] == by_service["children"][0][4] or name != "transfer to a counter"
    assert by_page == by_service
    assert ServiceTransaction.objects.get(ticket=first).counter_id == setup.counters[0].pk


def test_transfer_keeps_number_and_issue_time_and_shows_the_next_idle_state(setup: Setup) -> None:
    """A transfer hands on the same number with its original issue time; the counter is free again."""
    ticket = issue(setup)
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    do(client, 1, "call-next")
    response = do(client, 1, "transfer", {"service": "value_added"})
    child = Ticket.objects.get(parent=ticket)
    assert (child.number, child.issued_at, child.status, child.service.code) == (
        ticket.number,
        ticket.issued_at,
        "waiting",
        "value_added",
    )
    assert f"{ticket.number} transferred." in text(response)
    assert 'id="call-next"' in text(response)


def test_park_lists_the_ticket_and_resume_serves_it_again(setup: Setup) -> None:
    """A parked ticket appears under the counter's parked list; Resume reopens it as a new timed transaction."""
    ticket = issue(setup)
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    do(client, 1, "call-next")
    response = do(client, 1, "park")
    assert 'id="parked"' in text(response) and ticket.number in text(response)
    response = do(client, 1, "resume", {"ticket": ticket.pk})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "serving"
    tx = ServiceTransaction.objects.get(ticket=ticket, done_at__isnull=True)
    assert tx.phase == "arrived" and tx.arrived_at is not None
    assert 'id="parked"' not in text(response)


def test_walk_in_and_call_by_number(setup: Setup) -> None:
    """An idle counter serves a walk-in (a timed transaction without a ticket) and calls a given number."""
    issue(setup)
    wanted = issue(setup, "sim")
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    response = do(client, 1, "walk-in", {"service": "sim_replacement"})
    assert "Walk-in" in text(response)
    tx = ServiceTransaction.objects.get(counter=setup.counters[0], done_at__isnull=True)
    assert tx.ticket is None and tx.service.code == "sim_replacement" and tx.phase == "arrived"
    do(client, 1, "done")
    response = do(client, 1, "call", {"number": wanted.number.lower()})
    assert response.status_code == 200
    assert f"Called {wanted.number}." in text(response)
    wanted.refresh_from_db()
    assert wanted.status == "called" and wanted.counter_id == setup.counters[0].pk


def test_call_next_with_nobody_waiting_says_so(setup: Setup) -> None:
    """An empty queue is not an error: the panel says nobody waits."""
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    response = do(client, 1, "call-next")
    assert response.status_code == 200
    assert "Nobody is waiting for what this counter serves." in text(response)


def test_pause_resume_and_close(setup: Setup) -> None:
    """Pause with a reason, resume, close: the counter's status follows, with the reason shown while paused."""
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    response = do(client, 1, "pause", {"reason": "Lunch"})
    counter = Counter.objects.get(pk=setup.counters[0].pk)
    assert (counter.status, counter.pause_reason) == ("paused", "Lunch")
    assert 'id="pause-reason"' in text(response) and "Resume serving" in text(response)
    do(client, 1, "open")
    assert Counter.objects.get(pk=counter.pk).status == "open"
    do(client, 1, "close")
    counter.refresh_from_db()
    assert (counter.status, counter.agent_id, counter.session_ref) == ("closed", None, "")


def test_the_live_session_is_the_browser_session(setup: Setup) -> None:
    """The counter is held by this browser session: the same agent in a second browser cannot act on it."""
    client = client_for(setup, "agent1")
    do(client, 1, "open")
    counter = Counter.objects.get(pk=setup.counters[0].pk)
    assert counter.session_ref == page_actor(setup, client, "agent1").session_ref
    other_browser = client_for(setup, "agent1", lang="en")
    before = snapshot()
    response = do(other_browser, 1, "call-next")
    assert response.status_code == 409
    assert "Another agent or browser session holds this counter." in text(response)
    assert snapshot() == before


# ------------------------------------------------------------------------------------ refused actions, inline


def test_another_agent_cannot_take_a_held_counter_and_nothing_is_written(setup: Setup) -> None:
    """409 with the reason inline in the panel (not a 500, not a bare error), and no row written."""
    do(client_for(setup, "agent1"), 1, "open")
    intruder = client_for(setup, "agent2", lang="en")
    before = snapshot()
    response = do(intruder, 1, "open")
    assert response.status_code == 409
    body = text(response)
    assert 'id="counter-error"' in body and "Another agent or browser session holds this counter." in body
    assert 'id="counter-panel"' in body and "<html" not in body
    assert snapshot() == before
    page = text(intruder.get(URL.format(n=1)))
    assert "held by agent1" in page


def test_an_illegal_phase_step_is_refused_inline_without_a_write(setup: Setup) -> None:
    """Going back from operation to arrived answers 409 with the reason; the transaction is unchanged."""
    issue(setup)
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    do(client, 1, "call-next")
    do(client, 1, "operation")
    before, events = snapshot(), HallEvent.objects.count()
    tx_before = ServiceTransaction.objects.values().get(counter=setup.counters[0], done_at__isnull=True)
    response = do(client, 1, "arrive")
    assert response.status_code == 409
    assert "That step is not possible in the transaction&#x27;s current state." in text(response)
    assert snapshot() == before and HallEvent.objects.count() == events
    assert ServiceTransaction.objects.values().get(pk=tx_before["id"]) == tx_before


def test_a_pause_without_reason_marks_the_field(setup: Setup) -> None:
    """422, the reason field marked invalid and described by the error; the counter stays open."""
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    before = snapshot()
    response = do(client, 1, "pause", {"reason": "  "})
    assert response.status_code == 422
    body = text(response)
    assert "Give a reason for the pause." in body
    assert 'aria-invalid="true" aria-describedby="counter-error"' in body
    assert snapshot() == before


def test_not_completed_needs_a_reason_and_keeps_the_choice(setup: Setup) -> None:
    """Done as not completed without a reason: 422, the transaction still open, the agent's choice kept."""
    issue(setup)
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    do(client, 1, "call-next")
    before = snapshot()
    response = do(client, 1, "done", {"outcome": "not_completed", "reason": ""})
    assert response.status_code == 422
    body = text(response)
    assert "Choose the reason why the transaction was not completed." in body
    assert 'value="not_completed" checked' in body
    assert snapshot() == before


def test_calling_an_unknown_or_malformed_number_is_inline(setup: Setup) -> None:
    """A number that is not issued today (404) or not a ticket number (422): inline, nothing written."""
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    before = snapshot()
    missing = do(client, 1, "call", {"number": "A999"})
    assert missing.status_code == 404 and "There is no such ticket number today." in text(missing)
    bad = do(client, 1, "call", {"number": "hello"})
    assert bad.status_code == 422 and "That is not a ticket number (e.g. A012)." in text(bad)
    assert 'value="hello"' in text(bad)
    assert snapshot() == before


def test_actions_of_a_closed_counter_are_refused(setup: Setup) -> None:
    """Call next on a closed counter: 409 "open it first"."""
    issue(setup)
    client = client_for(setup, "agent1", lang="en")
    before = snapshot()
    response = do(client, 1, "call-next")
    assert response.status_code == 409
    assert "The counter is closed: open it first." in text(response)
    assert snapshot() == before


def test_without_htmx_the_action_answers_the_whole_page(setup: Setup) -> None:
    """A plain form post (no JavaScript) gets the full page with the result, not a fragment."""
    client = client_for(setup, "agent1", lang="en")
    response = client.post(f"{URL.format(n=1)}do/open/")
    assert response.status_code == 200
    assert "<html" in text(response) and "Call next" in text(response)


def test_a_person_takes_over_from_the_simulated_agent(setup: Setup) -> None:
    """A counter held by the demo's simulated agent shows it, and opening it takes it over."""
    counter = setup.counters[0]
    Counter.objects.filter(pk=counter.pk).update(status="open", agent=setup.users["agent4"], session_ref="sim")
    client = client_for(setup, "agent1", lang="en")
    assert "Take over the counter" in text(client.get(URL.format(n=1)))
    do(client, 1, "open")
    counter.refresh_from_db()
    assert counter.agent_id == setup.users["agent1"].pk and counter.session_ref.startswith("web:")


# ---------------------------------------------------------------------------------------------- what it shows


def test_the_transaction_shows_timers_against_the_limit(setup: Setup) -> None:
    """The service timer carries the limit (live.js colours it), plus handling and phase timers; phase buttons
    allow only forward steps and mark the next one for Space."""
    ticket = issue(setup)
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    body = text(do(client, 1, "call-next"))
    assert f">{ticket.number}<" in body
    assert 'id="service-timer" data-timer-since="' in body and 'data-timer-limit="480"' in body
    assert 'id="handling-timer"' in body and 'id="phase-timer"' in body
    assert 'data-key="a" data-next-phase>' in body
    body = text(do(client, 1, "communication"))
    assert 'data-key="a" disabled' in body and 'data-key="o" data-next-phase>' in body


def test_the_queue_shows_what_this_counter_serves_with_the_oldest_wait(setup: Setup) -> None:
    """Counter 5 serves SIM replacement only: its queue counts those tickets, not the others."""
    issue(setup, "new")
    issue(setup, "sim")
    issue(setup, "sim")
    body = text(client_for(setup, "agent1", lang="en").get(URL.format(n=5)))
    assert 'id="waiting-total">2<' in body
    assert 'data-service="sim_replacement"' in body and 'data-service="new_subscriber"' not in body
    assert 'data-timer-limit="600"' in body  # the oldest wait against the hall's 10-minute target


def test_the_upselling_banner_appears_from_the_halls_threshold(setup: Setup) -> None:
    """Seed 003: no upselling while 3 or more wait for what this counter serves (the threshold is per hall)."""
    client = client_for(setup, "agent1", lang="en")
    issue(setup, "sim")
    issue(setup, "sim")
    issue(setup, "new")  # not served by counter 5
    assert 'id="upsell-banner"' not in text(client.get(URL.format(n=5)))
    issue(setup, "sim")
    body = text(client.get(URL.format(n=5)))
    assert 'id="upsell-banner"' in body and "No upselling now: 3 waiting" in body
    assert "No upselling now: 4 waiting" in text(client.get(URL.format(n=1)))
    zh = text(client_for(setup, "agent1").get(URL.format(n=5)))
    assert "暂停营销：3 人等候" in zh
    setup.hall.upsell_block_waiting = 5
    setup.hall.save(update_fields=["upsell_block_waiting"])
    assert 'id="upsell-banner"' not in text(client.get(URL.format(n=1)))


def test_the_called_ticket_shows_its_ready_pre_order_with_masked_data(setup: Setup) -> None:
    """The counter sees "pre-order ready" and its content; phone and ID are masked until revealed."""
    ticket = issue(setup)
    services.preorder_save(
        actor=setup.actor("clerk"),
        ticket_id=ticket.pk,
        data={
            "customer_name": "张三",
            "id_type": "resident",
            "id_number": "11010519491231002X",
            "phone": "13812345678",
            "products": ["5G 129"],
            "documents": ["id_original"],
        },
        state=PreOrderState.READY,
    )
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    body = text(do(client, 1, "call-next"))
    assert "pre-order ready" in body and "张三" in body and "5G 129" in body
    assert "138****5678" in body and "110***********002X" in body
    assert "13812345678" not in body and "11010519491231002X" not in body
    assert "ID document (original)" in body


def test_revealing_the_pre_orders_personal_data_is_audited_once(setup: Setup) -> None:
    """Show the full ID: one audit row; later live refreshes keep showing it without another row."""
    ticket = issue(setup)
    services.preorder_save(
        actor=setup.actor("clerk"),
        ticket_id=ticket.pk,
        data={"id_type": "resident", "id_number": "11010519491231002X", "phone": "13812345678"},
    )
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    body = text(do(client, 1, "call-next"))
    assert "still in progress" in body
    audits = AuditLog.objects.filter(action="customer.view_pii").count()
    body = text(do(client, 1, "reveal"))
    assert "11010519491231002X" in body and "13812345678" in body
    assert AuditLog.objects.filter(action="customer.view_pii").count() == audits + 1
    refreshed = text(client.get(f"{URL.format(n=1)}panel/"))
    assert "11010519491231002X" in refreshed
    assert AuditLog.objects.filter(action="customer.view_pii").count() == audits + 1


def test_the_last_transactions_show_outcome_time_and_rating(setup: Setup) -> None:
    """After done, the counter's recent list shows the outcome and the service time against the limit."""
    ticket = issue(setup, "sim")
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")
    do(client, 1, "call-next")
    body = text(do(client, 1, "done", {"outcome": "not_completed", "reason": "system_fault"}))
    assert 'id="recent"' in body and ticket.number in body
    assert "not completed (system fault)" in body and " / 3:00" in body


def test_the_panel_reads_a_fixed_number_of_queries(setup: Setup) -> None:
    """Reloaded on every hall event: its queries do not grow with the queue, the parked or the recent tickets."""
    client = client_for(setup, "agent1", lang="en")
    do(client, 1, "open")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{URL.format(n=1)}panel/").status_code == 200
        return len(ctx.captured_queries)

    issue(setup)
    do(client, 1, "call-next")
    do(client, 1, "park")
    issue(setup)
    do(client, 1, "call-next")
    small = queries()
    do(client, 1, "done")
    for _ in range(4):
        issue(setup)
        do(client, 1, "call-next")
        do(client, 1, "done")
    issue(setup)
    do(client, 1, "call-next")
    do(client, 1, "park")
    issue(setup, "sim")
    issue(setup, "vas")
    issue(setup)
    do(client, 1, "call-next")
    assert queries() == small
