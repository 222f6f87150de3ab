"""Scenario 15, "Never 500": property-based fuzzing of the whole /api/v1 OpenAPI schema with Schemathesis.

The app runs in-process over WSGI on the test database. The halls are seeded with counters in every state
(serving, calling, paused, holding a parked ticket, closed), waiting tickets, a VIP ticket, a cancelled and a
diverted one, and a pre-order. Then, for each of several roles, every operation in the schema gets:

- a sweep: one valid request per seeded object, the body fields at values the domain accepts (service codes,
  waiting ticket numbers, channels, outcomes, ...), so that every operation meets every seeded state;
- Schemathesis's coverage cases: deterministic boundaries, wrong types, missing and unknown fields, a missing
  body or Authorization header, wrong media types (and, once, the HTTP methods the path does not take);
- Hypothesis-generated cases, positive (valid by the schema) and negative (invalid), with the path parameters
  generated, or aimed at seeded objects and at boundary ids (0, -1, 2**31, 2**63, 10**30), and the body fields
  mostly given values the domain knows, so that the requests reach the services and not only the 404s.

Each request runs in a savepoint rolled back afterwards, so every case meets the same seeded halls. Every answer
must be: not a 5xx; conforming to the response schema wherever the schema declares one for its status; with a
content type the schema allows; and, for a 4xx, a JSON {"code", "field", "message"} body. Hypothesis runs
derandomized, so the examples are the same on every run.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from werkzeug.test import Client

from hallops.accounts.services import token_create
from hallops.alerts.models import Alert
from hallops.alerts.services import alert_raise
from hallops.hall.models import Channel, NotCompletedReason, Outcome, Ticket
from hallops.organisation.models import Counter
from tests.api.helpers import assert_error, resident_id
from tests.factories import Setup

pytestmark = pytest.mark.django_db

SCHEMA_PATH = "/api/v1/openapi.json"
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
BOUNDARY_IDS = [0, -1, 2**31, 2**63 - 1, 2**63, 10**30]


@functools.cache
def app() -> Any:
    return get_wsgi_application()


def load_schema() -> Any:
    """The schema as the app serves it; loaded afresh for each test, as Schemathesis remembers what it covered."""
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, app())


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Django's WSGI handler closes the database connection around each request, which would end the test's
    transaction: detach that for the test, as django.test.Client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# ------------------------------------------------------------------------------------------------- the halls


class World:
    """The seeded halls: a bearer token per user (the counters are held by these tokens' sessions), and the
    values to aim the generated requests at."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.client = Client(app())
        self.tokens = {name: token_create(user=user, name="fuzz")[1] for name, user in setup.users.items()}

    def call(self, method: str, path: str, as_user: str, body: Any = None) -> Any:
        response = self.client.open(
            f"/api/v1{path}",
            method=method,
            headers={"Authorization": f"Bearer {self.tokens[as_user]}"},
            data=json.dumps(body if body is not None else {}),
            content_type="application/json",
        )
        assert response.status_code < 300, (method, path, response.status_code, response.get_data()[:300])
        return response.get_json(silent=True)

    def seed(self) -> None:
        c, other = self.setup.counters, self.setup.other_counter
        issued = [
            self.call("POST", "/halls/h1/tickets", "kiosk", {"service": service, "channel": "kiosk"})
            for service in [
                "sim_replacement",
                "new_subscriber",
                "value_added",
                "sim_replacement",
                "new_subscriber",
                "sim_replacement",
                "value_added",
                "new_subscriber",
                "payment",  # forced self-service: diverted
            ]
        ]
        vip = {"service": "sim_replacement", "channel": "greeter", "priority": "vip", "star_level": 3}
        self.call("POST", "/halls/h1/tickets", "manager", {**vip, "phone": "13800138000"})
        waiting_new = [t for t in issued if t["service"] == "new_subscriber"]
        self.call(
            "PUT",
            f"/tickets/{waiting_new[-1]['id']}/pre-order",
            "clerk",
            {"customer_name": "Li", "phone": "13800138000", "products": ["plan-a"], "state": "ready"},
        )
        self.call("POST", f"/tickets/{issued[-2]['id']}/cancel", "manager")
        # counter 1: serving (communication); 2: idle, holding a parked ticket; 3: paused; 4: the manager calling;
        # 5: closed; hall h2's counter: agent_b calling.
        for action in ["open", "call-next", "arrive", "start-communication"]:
            self.call("POST", f"/counters/{c[0].pk}/{action}", "agent1")
        for action in ["open", "call-next", "arrive", "park"]:
            self.call("POST", f"/counters/{c[1].pk}/{action}", "agent1")
        self.call("POST", f"/counters/{c[2].pk}/open", "agent1")
        self.call("POST", f"/counters/{c[2].pk}/pause", "agent1", {"reason": "break"})
        for action in ["open", "call-next"]:
            self.call("POST", f"/counters/{c[3].pk}/{action}", "manager")
        for service in ["sim_replacement", "value_added"]:
            self.call("POST", "/halls/h2/tickets", "agent_b", {"service": service, "channel": "greeter"})
        for action in ["open", "call-next"]:
            self.call("POST", f"/counters/{other.pk}/{action}", "agent_b")
        # alerts (raised by the system, not through the API): hall-wide, about counter 1 (agent1's), in hall h2
        h1, h2 = self.setup.hall, self.setup.other_hall
        alert_raise(hall=h1, kind="wait_over_target", key="w", severity="warning", data={"service": "sim_replacement"})
        alert_raise(hall=h1, kind="over_limit", key="o", severity="critical", data={}, counter=c[0])
        alert_raise(hall=h2, kind="idle_counter", key="i", severity="warning", data={}, counter=other)

    def path_values(self, role: str) -> dict[str, list[Any]]:
        """Seeded halls, counters and tickets (and boundary ids); the role's own hall and the counters it holds
        three times over, to be aimed at more."""
        counters = list(Counter.objects.order_by("pk").values_list("pk", "agent__username"))
        held = [pk for pk, agent in counters if agent == role]
        own, other = ("h2", "h1") if role == "agent_b" else ("h1", "h2")
        return {
            "hall": [own, own, own, other],
            "counter_id": [pk for pk, _ in counters] + held * 3 + BOUNDARY_IDS,
            "ticket_id": list(Ticket.objects.order_by("pk").values_list("pk", flat=True)) + BOUNDARY_IDS,
            "alert_id": list(Alert.objects.order_by("pk").values_list("pk", flat=True)) + BOUNDARY_IDS,
        }

    def body_values(self) -> dict[str, tuple[list[Any], list[Any]]]:
        """By body field name: values the domain accepts, and values it rejects although the schema allows them."""
        tickets = list(Ticket.objects.order_by("pk"))
        waiting = [t.number for t in tickets if t.status == "waiting"]
        numbers = [t.number for t in tickets if t.number]
        parked = [t.pk for t in tickets if t.status == "parked"]
        resident = resident_id("11010519491231002")
        return {
            "service": (["new_subscriber", "sim_replacement", "value_added", "payment"], ["no_such_service", "A"]),
            "channel": (list(Channel.values), ["fax"]),
            "priority": (["normal", "normal", "elderly", "appointment"], ["vip", "urgent"]),
            "star_level": ([0], [3]),
            "note": (["", "called the customer back"], ["a\x00b"]),
            "override_reason": ([""], ["customer insists"]),
            "phone": (["", "13800138000", "+85291234567"], ["12345", "１３８００１３８０００", "+86 138-0013-8000"]),
            "number": (waiting, [*numbers, "B999999999", "Z001", "a 001", "A0"]),
            "ticket": (parked, [t.pk for t in tickets] + BOUNDARY_IDS),
            "counter": ([1, 2, 3, 4], [5, 9999]),
            "outcome": (["completed", "not_completed"], list(Outcome.values)),
            "reason": (list(NotCompletedReason.values), ["", "lunch"]),
            "state": (["draft", "ready"], ["abandoned", "executed", "confirmed"]),
            "id_type": (["resident", "passport", ""], ["resident_old", "hk_macao_permit", "unknown"]),
            "id_number": ([resident, ""], ["E12345678", "123", "H1234567890", resident[:-1] + "0"]),
            "username": (["agent1", "kiosk"], ["nobody", ""]),
            "password": (["pw-agent1", "pw-kiosk"], ["wrong", ""]),
        }


# ------------------------------------------------------------------------------------------------ the checks


def error_body_conformance(ctx: Any, response: Any, case: Any) -> None:
    """A 4xx answers JSON {"code", "field", "message"}: code and message non-empty text, field text or null."""
    if not 400 <= response.status_code < 500:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), f"{response.status_code} answered {content_type!r}"
    body = json.loads(response.content)
    assert isinstance(body, dict) and set(body) == {"code", "field", "message"}, body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert body["field"] is None or isinstance(body["field"], str), body


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, error_body_conformance]
TALLY: dict[tuple[str, str, int], int] = {}


def send(case: Any, headers: dict[str, str]) -> Any:
    """Call the app with the case and check the answer, inside a savepoint that is rolled back."""
    with transaction.atomic():
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        finally:
            transaction.set_rollback(True)
    key = (case.operation.label, case.method, response.status_code)
    TALLY[key] = TALLY.get(key, 0) + 1
    return response


# ---------------------------------------------------------------------------------------------- the cases


def coverage_cases(op: Any, paths: dict[str, list[Any]], *, other_methods: bool) -> Iterator[Any]:
    """Schemathesis's deterministic edge cases, the path parameters aimed at seeded objects in turn unless the
    path is what the case makes invalid; the cases sending methods the path does not take only if asked."""
    schema = op.schema
    cases = schema.iter_coverage_cases(
        op, generation_modes=[POSITIVE, NEGATIVE], generation_config=schema.config.generation_for(operation=op)
    )
    for n, case in enumerate(cases):
        data = case.meta.phase.data if case.meta else None
        if case.method.lower() != op.method.lower() and not other_methods:
            continue
        if getattr(data, "parameter_location", None) != ParameterLocation.PATH:
            for name in case.path_parameters or {}:
                case.path_parameters[name] = paths[name][n % len(paths[name])]
        yield case


def sweep_cases(op: Any, paths: dict[str, list[Any]], bodies: dict[str, tuple[list[Any], list[Any]]]) -> Iterator[Any]:
    """One valid request per seeded object (each path value but the boundary ids), its body fields the domain
    knows at accepted values taken in turn: every operation meets every seeded state at least once."""
    schema = op.schema
    template = next(
        case
        for case in schema.iter_coverage_cases(
            op, generation_modes=[POSITIVE], generation_config=schema.config.generation_for(operation=op)
        )
        if case.method.lower() == op.method.lower()
    )
    names = [p.name for p in op.path_parameters]
    targets = {name: list(dict.fromkeys(v for v in paths[name] if v not in BOUNDARY_IDS)) for name in names}
    rounds = max([len(v) for v in targets.values()] + [3 if isinstance(template.body, dict) else 1])
    for n in range(rounds):
        body = template.body
        if isinstance(body, dict):
            body = {k: bodies[k][0][n % len(bodies[k][0])] if k in bodies else v for k, v in body.items()}
        params = {name: values[n % len(values)] for name, values in targets.items()}
        yield op.Case(path_parameters=params, body=body, media_type=template.media_type)


@st.composite
def aimed_case(
    draw: Any, op: Any, paths: dict[str, list[Any]], bodies: dict[str, tuple[list[Any], list[Any]]], mode: Any
) -> Any:
    """A generated case with the path parameters seeded ids (or boundary ids), and in a positive case the body
    fields the domain knows given its values; an Idempotency-Key now and then where the API honours one."""
    params = {p.name: draw(st.sampled_from(paths[p.name])) for p in op.path_parameters}
    case = draw(op.as_strategy(mode, path_parameters=params or None))
    if mode is POSITIVE and isinstance(case.body, dict):
        for name in sorted(case.body):
            if name in bodies:
                # mostly a value the domain accepts, so that the request gets through; now and then one it rejects,
                # or the generated one left as it is
                accepted, rejected = bodies[name]
                pick = draw(st.integers(0, 7))
                if pick < 7:
                    case.body[name] = draw(st.sampled_from(rejected if pick == 6 else accepted))
    if op.method == "post" and op.path.endswith("/tickets") and draw(st.booleans()):
        case.headers = {**(case.headers or {}), "Idempotency-Key": draw(st.sampled_from(["k1", "k2", "x" * 201]))}
    return case


def strategy_for(
    op: Any, paths: dict[str, list[Any]], bodies: dict[str, tuple[list[Any], list[Any]]]
) -> st.SearchStrategy[Any]:
    aimed = aimed_case(op, paths, bodies, POSITIVE)
    parts = [op.as_strategy(POSITIVE), op.as_strategy(NEGATIVE), aimed, aimed, aimed]
    if len(op.body) > 0:
        parts.append(aimed_case(op, paths, bodies, NEGATIVE))
    return st.one_of(*parts)


def fuzz(strategy: st.SearchStrategy[Any], headers: dict[str, str], max_examples: int) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        send(case, headers)

    run()


# ------------------------------------------------------------------------------------------------ the tests

# Per role: whether to run the coverage cases (the callers without a valid token are answered 401 before any
# input is read, so generated cases are enough for them), and the generated examples per operation.
ROLES = {
    "agent1": (True, 20),
    "kiosk": (True, 20),
    "manager": (True, 20),
    "agent_b": (True, 20),
    "clerk": (True, 20),
    "anonymous": (False, 10),
    "bad-token": (False, 10),
}
# The fuzzing must reach the services, not only the 404s: at least this many operations answered 2xx, per role
# (of the 28; on the seeded halls, agent1 reaches 24, manager 23, agent_b 20, clerk 10, kiosk 8).
MIN_OPERATIONS_REACHED = {
    "agent1": 18,
    "kiosk": 6,
    "manager": 18,
    "agent_b": 15,
    "clerk": 8,
    "anonymous": 2,
    "bad-token": 2,
}


def headers_for(world: World, role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    if role == "bad-token":
        return {"Authorization": "Bearer hop_not-a-token"}
    return {"Authorization": f"Bearer {world.tokens[role]}"}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_operation_answers_5xx_or_breaks_its_schema(setup: Setup, keep_connection: None, role: str) -> None:
    """Every operation as this role, swept, edge cases, generated: no 5xx, answers as declared, 4xx as JSON."""
    world = World(setup)
    world.seed()
    paths, bodies, headers = world.path_values(role), world.body_values(), headers_for(world, role)
    coverage, examples = ROLES[role]
    failures: dict[str, str] = {}
    TALLY.clear()
    for result in load_schema().get_all_operations():
        op = result.ok()
        cases = coverage_cases(op, paths, other_methods=role == "agent1") if coverage else iter(())
        for case in itertools.chain(sweep_cases(op, paths, bodies), cases):
            try:
                send(case, headers)
            except (Exception, BaseExceptionGroup) as exc:
                failures.setdefault(f"{op.label}: {str(exc).splitlines()[:3]}", str(exc))
        try:
            fuzz(strategy_for(op, paths, bodies), headers, examples)
        except (Exception, BaseExceptionGroup) as exc:
            failures.setdefault(f"{op.label}: {str(exc).splitlines()[:3]}", str(exc))
    assert not failures, f"{len(failures)} distinct failures as {role}:\n\n" + "\n\n".join(failures.values())
    reached = {label for (label, _, status) in TALLY if 200 <= status < 300}
    assert len(reached) >= MIN_OPERATIONS_REACHED.get(role, 0), sorted(reached)


# -------------------------------------------------------------------------------------- regressions, self-test


def test_unknown_api_path_is_404_json(setup: Setup, api: Any) -> None:
    """A path under /api/ that no route matches (here a hall code with a slash) answers the API's JSON 404."""
    for path in ["/no-such-thing", "/halls/a%2Fb/services", "/halls/"]:
        assert_error(api.get(path, as_user="agent1"), 404, None, "not_found")


def test_method_the_path_does_not_take_is_405_json(setup: Setup, api: Any) -> None:
    """A method the path does not take answers the API's JSON 405, still naming the allowed methods."""
    response = api.call("DELETE", "/health")
    assert_error(response, 405, None, "method_not_allowed")
    assert response["Allow"] == "GET"
    response = api.call("PATCH", f"/counters/{setup.counters[0].pk}/open", "agent1")
    assert_error(response, 405, None, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_pages_outside_the_api_keep_their_html_404(setup: Setup, api: Any) -> None:
    """Only /api/ answers JSON errors: the web pages keep Django's HTML 404."""
    response = api.client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_fuzzing_checks_catch_a_500(setup: Setup, keep_connection: None, monkeypatch: Any) -> None:
    """The harness itself: an operation that fails inside answers 500, and the checks report it."""
    world = World(setup)

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("hallops.api.v1.selectors.queue_summary", broken)
    op = load_schema()["/api/v1/halls/{hall}/queue"]["GET"]
    case = op.Case(path_parameters={"hall": "h1"})
    with pytest.raises(BaseExceptionGroup, match="Server error"):
        send(case, headers_for(world, "agent1"))
