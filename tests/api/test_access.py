"""Access control through /api/v1: another hall's objects are 404 (BOLA), a role's missing action is 403 (BFLA),
and one agent with one live session per counter.

The role × endpoint matrix is generated from :data:`hallops.core.roles.ROLE_ACTIONS` and the table
:data:`ENDPOINTS` below, which names the action each endpoint needs; a test checks that the table covers every
operation of the API that acts on a hall's object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from hallops.alerts.services import alert_raise
from hallops.core.roles import ROLE_ACTIONS, Action, Role, role_allows
from hallops.hall import services
from hallops.organisation.models import Counter
from tests.api.helpers import (
    assert_error,
    call_next,
    counter_post,
    issue,
    open_counter,
    second_session_header,
    snapshot,
)
from tests.factories import Setup, user_with_role

pytestmark = pytest.mark.django_db

A = Action


@dataclass(frozen=True)
class Endpoint:
    """One operation on a hall's object: how to call it, the actions it needs, what an allowed caller gets."""

    name: str
    method: str
    path: str  # {hall}, {ticket}, {counter} and {open_counter} are filled in from the World
    actions: tuple[Action, ...]
    body: dict[str, Any] | None = None
    allowed_status: int = 200
    allowed_code: str | None = None  # for an allowed caller answered with an error body
    refusal_fields: tuple[str | None, ...] = ()  # per action: the field a 403 for lacking it names (default None)

    def refusal_field(self, role: Role) -> str | None:
        """The field the 403 names: that of the first action (in order) the role lacks."""
        for i, action in enumerate(self.actions):
            if not role_allows(role, action):
                return self.refusal_fields[i] if i < len(self.refusal_fields) else None
        raise AssertionError(f"{role} may do {self.name}")

    @property
    def template(self) -> str:
        """The path as the OpenAPI document spells it."""
        path = self.path.replace("{ticket}", "{ticket_id}").replace("{open_counter}", "{counter_id}")
        path = path.replace("{alert}", "{alert_id}")
        return "/api/v1" + path.replace("{counter}", "{counter_id}")


def _closed(name: str, body: dict[str, Any] | None = None) -> Endpoint:
    """A counter action against a closed counter: an allowed role passes the role check and gets 409 closed."""
    return Endpoint(
        name,
        "POST",
        f"/counters/{{counter}}/{name}",
        (A.COUNTER_OPERATE,),
        body if body is not None else {},
        allowed_status=409,
        allowed_code="counter_closed",
    )


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("hall services", "GET", "/halls/{hall}/services", (A.HALL_VIEW,)),
    Endpoint("hall counters", "GET", "/halls/{hall}/counters", (A.HALL_VIEW,)),
    Endpoint("hall queue", "GET", "/halls/{hall}/queue", (A.HALL_VIEW,)),
    Endpoint(
        "issue",
        "POST",
        "/halls/{hall}/tickets",
        (A.TICKET_ISSUE,),
        {"service": "sim_replacement", "channel": "greeter"},
        allowed_status=201,
    ),
    Endpoint(
        "issue with override",
        "POST",
        "/halls/{hall}/tickets",
        (A.TICKET_ISSUE, A.TICKET_ISSUE_OVERRIDE),
        {"service": "payment", "channel": "greeter", "override_reason": "customer cannot use the kiosk"},
        allowed_status=201,
        refusal_fields=(None, "override_reason"),
    ),
    Endpoint("get ticket", "GET", "/tickets/{ticket}", (A.TICKET_VIEW,)),
    Endpoint("cancel ticket", "POST", "/tickets/{ticket}/cancel", (A.TICKET_CANCEL,)),
    Endpoint("get pre-order", "GET", "/tickets/{ticket}/pre-order", (A.PREORDER_VIEW,)),
    Endpoint("put pre-order", "PUT", "/tickets/{ticket}/pre-order", (A.PREORDER_EDIT,), {"notes": "brings ID card"}),
    Endpoint("get counter", "GET", "/counters/{counter}", (A.HALL_VIEW,)),
    Endpoint("open", "POST", "/counters/{open_counter}/open", (A.COUNTER_OPERATE,)),
    Endpoint("close", "POST", "/counters/{counter}/close", (A.COUNTER_OPERATE,)),
    _closed("pause", {"reason": "lunch"}),
    _closed("call-next"),
    _closed("call", {"number": "B001"}),
    _closed("recall"),
    _closed("no-show"),
    _closed("transfer", {"service": "value_added"}),
    _closed("park"),
    _closed("resume", {"ticket": 1}),
    _closed("arrive"),
    _closed("start-communication"),
    _closed("start-operation"),
    _closed("complete", {"outcome": "completed"}),
    _closed("add-service", {"service": "value_added"}),
    _closed("walk-in", {"service": "sim_replacement"}),
    Endpoint("hall alerts", "GET", "/halls/{hall}/alerts", (A.HALL_VIEW,)),
    Endpoint("ack alert", "POST", "/halls/{hall}/alerts/{alert}/ack", (A.ALERT_MANAGE,)),
    Endpoint("resolve alert", "POST", "/halls/{hall}/alerts/{alert}/resolve", (A.ALERT_MANAGE,), {"note": "done"}),
)
ENDPOINTS_BY_NAME = {e.name: e for e in ENDPOINTS}

# Operations that act on no hall object (or need no token) and so are outside the matrix.
OUTSIDE_MATRIX = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/health"), ("GET", "/api/v1/halls")}

FIXTURE_USERS = {
    Role.ADMIN: "admin",
    Role.KIOSK: "kiosk",
    Role.GREETER: "greeter",
    Role.PREACCEPT: "clerk",
    Role.AGENT: "agent1",
    Role.MANAGER: "manager",
    Role.DISPLAY: "display",
    Role.AUDITOR: "auditor",
}
GLOBAL_ROLES = {Role.ADMIN, Role.AUDITOR}


@dataclass
class World:
    """Hall h1 with a waiting ticket that has a pre-order (no longer locked by its editor) and closed counters."""

    setup: Setup
    ticket: int
    counter: int  # closed, never opened
    open_counter: int  # closed, opened by the open endpoint
    alert: int = 0  # an open hall-wide alert (about no counter)

    def path(self, endpoint: Endpoint, hall: str = "h1") -> str:
        return endpoint.path.format(
            hall=hall, ticket=self.ticket, counter=self.counter, open_counter=self.open_counter, alert=self.alert
        )


@pytest.fixture
def world(setup: Setup) -> World:
    long_ago = timezone.now() - dt.timedelta(hours=1)
    issued = services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="sim_replacement", channel="greeter"
    )
    services.preorder_save(
        actor=setup.actor("clerk"),
        ticket_id=issued.ticket.pk,
        data={"customer_name": "王五", "phone": "13800138000"},
        at=long_ago,
    )
    alert = alert_raise(
        hall=setup.hall, kind="wait_over_target", key="wait_over_target:svc:x", severity="warning", data={}
    )
    return World(
        setup=setup,
        ticket=issued.ticket.pk,
        counter=setup.counters[1].pk,
        open_counter=setup.counters[2].pk,
        alert=alert.pk,
    )


def _username(setup: Setup, role: Role) -> str:
    """The fixture user holding exactly ``role`` in h1 (or globally), created for roles the fixture lacks."""
    if role in FIXTURE_USERS:
        return FIXTURE_USERS[role]
    name = f"role-{role.value}"
    setup.users[name] = user_with_role(name, role, None if role in GLOBAL_ROLES else setup.hall)
    return name


def _allowed(role: Role, endpoint: Endpoint) -> bool:
    return all(role_allows(role, action) for action in endpoint.actions)


# ------------------------------------------------------------------------------------------------ the table


def test_endpoint_table_covers_every_hall_operation(setup: Setup, api: Any) -> None:
    """Every operation in the OpenAPI document is in ENDPOINTS or deliberately outside the matrix, and vice versa."""
    paths = api.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    in_table = {(e.method, e.template) for e in ENDPOINTS}
    assert documented - OUTSIDE_MATRIX == in_table


def test_endpoint_table_uses_only_real_actions() -> None:
    """Each endpoint needs at least one action, and every action it names exists in ROLE_ACTIONS' vocabulary."""
    granted = set().union(*ROLE_ACTIONS.values())
    for endpoint in ENDPOINTS:
        assert endpoint.actions, endpoint.name
        assert set(endpoint.actions) <= granted, endpoint.name


def test_matrix_has_both_outcomes_for_every_endpoint_but_hall_view() -> None:
    """Some role is refused every endpoint that needs more than hall.view (the matrix is not all-allow)."""
    for endpoint in ENDPOINTS:
        outcomes = {_allowed(role, endpoint) for role in Role}
        assert True in outcomes, endpoint.name
        if endpoint.actions != (A.HALL_VIEW,):
            assert False in outcomes, endpoint.name


# ------------------------------------------------------------------------------------------------------ BFLA


def _cell_problem(role: Role, endpoint: Endpoint, response: Any, before: dict[str, Any]) -> str | None:
    """What is wrong with one role × endpoint answer, or None when it is what ROLE_ACTIONS says it should be."""
    status = response.status_code
    if _allowed(role, endpoint):
        if status != endpoint.allowed_status:
            return f"allowed: expected {endpoint.allowed_status}, got {status} {response.content[:200]!r}"
        if endpoint.allowed_code is not None and response.json().get("code") != endpoint.allowed_code:
            return f"allowed: expected code {endpoint.allowed_code}, got {response.content[:200]!r}"
        return None
    if status != 403:
        return f"refused: expected 403, got {status} {response.content[:200]!r}"
    body = response.json()
    expected = {"code": "role_not_allowed", "field": endpoint.refusal_field(role)}
    if {k: body.get(k) for k in expected} != expected or not body.get("message"):
        return f"refused: expected {expected}, got {body}"
    if snapshot() != before:
        return "refused, but something was written"
    return None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_role_endpoint_matrix(world: World, api: Any, endpoint: Endpoint) -> None:
    """For every role: lacking the endpoint's action gives 403 role_not_allowed and writes nothing; holding it
    passes the role check and gets the endpoint's normal answer. Each role's request runs in a savepoint rolled
    back afterwards, so every role meets the same hall."""
    users = {role: _username(world.setup, role) for role in Role}
    for user in users.values():
        api.token(user)  # outside the savepoints, so the tokens survive the rollbacks
    problems = []
    for role, user in users.items():
        with transaction.atomic():
            before = snapshot()
            response = api.call(endpoint.method, world.path(endpoint), user, endpoint.body)
            problem = _cell_problem(role, endpoint, response, before)
            transaction.set_rollback(True)
        if problem:
            problems.append(f"{role.value}: {problem}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("user", "endpoint"),
    [
        ("kiosk", "call-next"),
        ("kiosk", "get ticket"),
        ("kiosk", "issue with override"),
        ("display", "issue"),
        ("display", "open"),
        ("clerk", "issue"),
        ("clerk", "call-next"),
        ("greeter", "put pre-order"),
        ("greeter", "open"),
        ("auditor", "issue"),
        ("auditor", "put pre-order"),
    ],
)
def test_documented_refusals_are_403(world: World, api: Any, user: str, endpoint: str) -> None:
    """The refusals docs/roles.md spells out (kiosk cannot call, display cannot issue, ...) answer 403."""
    e = ENDPOINTS_BY_NAME[endpoint]
    before = snapshot()
    response = api.call(e.method, world.path(e), user, e.body)
    assert_error(response, 403, "override_reason" if user == "kiosk" and endpoint.startswith("issue") else None)
    assert response.json()["code"] == "role_not_allowed"
    assert snapshot() == before


def test_clerk_can_put_pre_order(world: World, api: Any) -> None:
    """The pre-acceptance clerk may edit a waiting ticket's pre-order: 200 and the new notes stored."""
    response = api.put(f"/tickets/{world.ticket}/pre-order", as_user="clerk", body={"notes": "bring the old SIM"})
    assert response.status_code == 200
    assert response.json()["notes"] == "bring the old SIM"
    assert response.json()["version"] == 2


def test_greeter_override_gives_a_real_ticket(world: World, api: Any) -> None:
    """A greeter issuing a forced-self-service type with override_reason gets a numbered waiting ticket."""
    body = {"service": "payment", "channel": "greeter", "override_reason": "elderly customer"}
    response = api.post("/halls/h1/tickets", as_user="greeter", body=body)
    assert response.status_code == 201
    ticket = response.json()
    assert ticket["status"] == "waiting"
    assert ticket["number"] == "D001"
    assert ticket.get("self_service") is None


def test_agent_override_gives_a_real_ticket(world: World, api: Any) -> None:
    """An agent may also override self-service with a reason and gets a numbered ticket."""
    body = {"service": "payment", "channel": "greeter", "override_reason": "kiosk out of order"}
    response = api.post("/halls/h1/tickets", as_user="agent1", body=body)
    assert response.status_code == 201
    assert response.json()["number"] == "D001"


def test_kiosk_forced_self_service_is_diverted(world: World, api: Any) -> None:
    """A kiosk asking for a forced-self-service type gets 201 diverted, no number, and the self-service text."""
    response = api.post("/halls/h1/tickets", as_user="kiosk", body={"service": "payment", "channel": "kiosk"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "diverted"
    assert body["number"] is None
    assert body["self_service"] == {
        "service": "payment",
        "instructions_zh": "请自助缴费",
        "instructions_en": "Pay at the kiosk",
    }


def test_kiosk_passing_override_reason_is_403(world: World, api: Any) -> None:
    """A kiosk that sends override_reason is refused with 403 naming override_reason, and nothing is written."""
    before = snapshot()
    body = {"service": "payment", "channel": "kiosk", "override_reason": "please"}
    assert_error(api.post("/halls/h1/tickets", as_user="kiosk", body=body), 403, "override_reason", "role_not_allowed")
    assert snapshot() == before


# ------------------------------------------------------------------------------------------------------ BOLA


@pytest.fixture
def busy_h1(world: World, api: Any) -> World:
    """h1 with counter 1 open by agent1 serving a called ticket (C001), and the world's waiting ticket (B001)."""
    issue(api, "value_added")
    counter = world.setup.counters[0].pk
    open_counter(api, counter)
    called = counter_post(api, counter, "call", body={"number": "C001"})
    assert called.status_code == 200, called.content
    world.counter = counter
    return world


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_other_hall_object_is_404(busy_h1: World, api: Any, endpoint: Endpoint) -> None:
    """agent_b (an agent in h2) gets 404 on every h1 object, whatever the role would allow, and writes nothing."""
    before = snapshot()
    response = api.call(endpoint.method, busy_h1.path(endpoint), "agent_b", endpoint.body)
    field = "hall" if "{hall}" in endpoint.path else ("ticket" if "{ticket}" in endpoint.path else "counter")
    assert_error(response, 404, field, "not_found")
    assert snapshot() == before


def test_other_hall_ticket_is_404_like_a_missing_one(busy_h1: World, api: Any) -> None:
    """For agent_b, an existing h1 ticket answers exactly what a ticket id that does not exist answers."""
    existing = api.get(f"/tickets/{busy_h1.ticket}", as_user="agent_b")
    missing = api.get("/tickets/987654", as_user="agent_b")
    assert existing.status_code == missing.status_code == 404
    assert existing.json() == missing.json()


def test_the_same_endpoints_work_for_agent_b_in_h2(setup: Setup, api: Any) -> None:
    """agent_b is a working agent in h2 (so the 404s above are about the hall, not the user)."""
    assert api.get("/halls/h2/queue", as_user="agent_b").status_code == 200
    issued = api.post("/halls/h2/tickets", as_user="agent_b", body={"service": "sim_replacement", "channel": "api"})
    assert issued.status_code == 201
    counter = setup.other_counter.pk
    open_counter(api, counter, as_user="agent_b")
    assert call_next(api, counter, as_user="agent_b")["ticket"]["id"] == issued.json()["id"]


def test_resume_of_other_hall_ticket_at_own_counter_is_404(busy_h1: World, api: Any) -> None:
    """agent_b at an h2 counter cannot resume an h1 ticket by id: 404, nothing written."""
    counter = busy_h1.setup.other_counter.pk
    open_counter(api, counter, as_user="agent_b")
    before = snapshot()
    response = counter_post(api, counter, "resume", as_user="agent_b", body={"ticket": busy_h1.ticket})
    assert_error(response, 404, "ticket")
    assert snapshot() == before


def test_call_of_other_hall_number_at_own_counter_is_404(busy_h1: World, api: Any) -> None:
    """agent_b at an h2 counter calling B001 (which exists only in h1) gets 404 and nobody is called."""
    counter = busy_h1.setup.other_counter.pk
    open_counter(api, counter, as_user="agent_b")
    before = snapshot()
    response = counter_post(api, counter, "call", as_user="agent_b", body={"number": "B001"})
    assert_error(response, 404, "number")
    assert snapshot() == before


def test_call_next_at_own_counter_never_takes_other_hall_tickets(busy_h1: World, api: Any) -> None:
    """h1's waiting tickets are invisible to call-next at an h2 counter: 204."""
    counter = busy_h1.setup.other_counter.pk
    open_counter(api, counter, as_user="agent_b")
    response = api.post(f"/counters/{counter}/call-next", as_user="agent_b")
    assert response.status_code == 204


def test_halls_for_agent_b_lists_only_h2(setup: Setup, api: Any) -> None:
    """GET /halls for agent_b lists h2 only, as {items, count}."""
    body = api.get("/halls", as_user="agent_b").json()
    assert [h["code"] for h in body["items"]] == ["h2"]
    assert body["count"] == 1


def test_halls_for_admin_lists_both(setup: Setup, api: Any) -> None:
    """GET /halls for the administrator lists h1 and h2."""
    body = api.get("/halls", as_user="admin").json()
    assert [h["code"] for h in body["items"]] == ["h1", "h2"]
    assert body["count"] == 2


def test_halls_for_h1_staff_lists_only_h1(setup: Setup, api: Any) -> None:
    """GET /halls for an h1 agent lists h1 only."""
    assert [h["code"] for h in api.get("/halls", as_user="agent1").json()["items"]] == ["h1"]


def test_h1_staff_get_404_for_h2(setup: Setup, api: Any) -> None:
    """The isolation holds the other way round: agent1 gets 404 for h2's queue and h2's counter."""
    assert_error(api.get("/halls/h2/queue", as_user="agent1"), 404, "hall")
    before = snapshot()
    assert_error(api.post(f"/counters/{setup.other_counter.pk}/open", as_user="agent1"), 404, "counter")
    assert snapshot() == before


# ----------------------------------------------------------------------------------- one agent, one session


def test_second_agent_cannot_open_a_held_counter(setup: Setup, api: Any) -> None:
    """agent2 opening counter 1 while agent1 holds it answers 409 counter_in_use; agent1 keeps it."""
    counter = setup.counters[0].pk
    open_counter(api, counter, as_user="agent1")
    before = snapshot()
    assert_error(api.post(f"/counters/{counter}/open", as_user="agent2"), 409, "counter", "counter_in_use")
    assert snapshot() == before
    assert Counter.objects.get(pk=counter).agent.get_username() == "agent1"


def test_second_session_of_the_same_agent_cannot_open(setup: Setup, api: Any) -> None:
    """agent1 with a second token (a second live session) opening the counter it holds answers 409."""
    counter = setup.counters[0].pk
    open_counter(api, counter, as_user="agent1")
    before = snapshot()
    response = api.post(f"/counters/{counter}/open", headers=second_session_header("agent1"))
    assert_error(response, 409, "counter", "counter_in_use")
    assert snapshot() == before


def test_second_session_of_the_same_agent_cannot_call_next(setup: Setup, api: Any) -> None:
    """agent1's second session cannot call-next at the counter its first session holds: 409, nobody called."""
    counter = setup.counters[0].pk
    issue(api)
    open_counter(api, counter, as_user="agent1")
    before = snapshot()
    response = api.post(f"/counters/{counter}/call-next", headers=second_session_header("agent1"))
    assert_error(response, 409, "counter", "counter_in_use")
    assert snapshot() == before


def test_other_agent_cannot_call_next_at_a_held_counter(setup: Setup, api: Any) -> None:
    """agent2 cannot call-next at counter 1 held by agent1: 409, nobody called."""
    counter = setup.counters[0].pk
    issue(api)
    open_counter(api, counter, as_user="agent1")
    before = snapshot()
    assert_error(api.post(f"/counters/{counter}/call-next", as_user="agent2"), 409, "counter", "counter_in_use")
    assert snapshot() == before


def test_reopening_ones_own_counter_is_idempotent(setup: Setup, api: Any) -> None:
    """The holding session opening its counter again answers 200 and writes no second counter.opened event."""
    counter = setup.counters[0].pk
    open_counter(api, counter, as_user="agent1")
    before = snapshot()
    assert open_counter(api, counter, as_user="agent1")["status"] == "open"
    assert snapshot() == before


def test_other_agent_cannot_close_a_held_counter(setup: Setup, api: Any) -> None:
    """agent2 (no counter.manage) closing counter 1 held by agent1 answers 409; the counter stays open."""
    counter = setup.counters[0].pk
    open_counter(api, counter, as_user="agent1")
    before = snapshot()
    assert_error(api.post(f"/counters/{counter}/close", as_user="agent2"), 409, "counter", "counter_in_use")
    assert snapshot() == before


def test_manager_may_close_a_counter_held_by_another_agent(setup: Setup, api: Any) -> None:
    """The manager (counter.manage) closes counter 1 held by agent1: 200, closed, holder and session cleared."""
    counter = setup.counters[0].pk
    open_counter(api, counter, as_user="agent1")
    response = api.post(f"/counters/{counter}/close", as_user="manager")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["agent"] is None
    row = Counter.objects.get(pk=counter)
    assert (row.status, row.agent_id, row.session_ref) == ("closed", None, "")
    open_counter(api, counter, as_user="agent2")  # the counter is free again


def test_manager_cannot_close_a_counter_mid_transaction(setup: Setup, api: Any) -> None:
    """Even the manager cannot close a counter while a customer is being served: 409, nothing changed."""
    counter = setup.counters[0].pk
    issue(api)
    open_counter(api, counter, as_user="agent1")
    call_next(api, counter)
    before = snapshot()
    assert_error(api.post(f"/counters/{counter}/close", as_user="manager"), 409, "counter", "transaction_open")
    assert snapshot() == before
