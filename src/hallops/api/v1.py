"""The integration API, /api/v1: thin endpoints that parse, call one service or selector, and render."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status

from hallops.accounts.services import token_for_login
from hallops.api import schemas as s
from hallops.api.auth import TokenAuth, actor_of
from hallops.api.idempotency import run_idempotent
from hallops.catalog.models import BusinessType
from hallops.core.masking import mask_id, mask_phone
from hallops.core.roles import Action
from hallops.errors import DomainError, NotFound
from hallops.hall import hotpath, selectors, services
from hallops.hall.models import PreOrder, ServiceTransaction, Ticket
from hallops.organisation.access import Actor, hall_for, require, visible_halls
from hallops.organisation.models import Counter, Hall

log = logging.getLogger("hallops.api")

api = NinjaAPI(
    title="HallOps API",
    version="1",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# ------------------------------------------------------------------------------------------------ errors


def _error(status: int, code: str, field: str | None, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "field": field, "message": message}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "payload", "query", "path")]
    field = ".".join(loc) or None
    kind = first.get("type", "")
    if kind == "json_invalid" or "JSON" in str(first.get("msg", "")):
        return _error(400, "malformed_body", None, "the body is not valid JSON")
    if kind == "extra_forbidden":
        return _error(422, "unknown_field", field, f"unknown or read-only field {field!r}")
    if kind == "missing":
        return _error(422, "required", field, f"{field} is required")
    return _error(422, "invalid", field, str(first.get("msg", "invalid value")))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(401, "unauthorized", "Authorization", "a valid bearer token is required")


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(404, "not_found", None, "not found")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(exc.status_code, "bad_request", None, str(exc))


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(413, "body_too_large", None, "the request body is too large")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unexpected error in %s %s", request.method, request.path)
    return _error(500, "internal", None, "unexpected error; check the request state before retrying")


@api.exception_handler(OperationalError)
def on_db_unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    log.warning("database unavailable: %s", exc.__class__.__name__)
    return _error(503, "unavailable", None, "the database is busy or unavailable, try again")


@api.exception_handler(DatabaseError)
def on_db_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    log.exception("database error")
    return _error(503, "unavailable", None, "the database could not complete the request, try again")


# ------------------------------------------------------------------------------------------- presenters


def ticket_out(ticket: Ticket, *, quote: selectors.WaitQuote | None = None) -> dict[str, Any]:
    if quote is None and ticket.status == "waiting":
        quote = selectors.ticket_wait_quote(ticket=ticket, at=timezone.now())
    return {
        "id": ticket.pk,
        "number": ticket.number or None,
        "status": ticket.status,
        "hall": ticket.hall.code,
        "service": ticket.service.code,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "star_level": ticket.star_level,
        "phone": mask_phone(ticket.phone) if ticket.phone else "",
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
        "counter": ticket.counter.number if ticket.counter_id and ticket.counter else None,
        "position": quote.people_ahead + 1 if quote else None,
        "people_ahead": quote.people_ahead if quote else None,
        "estimated_wait_seconds": quote.estimated_wait_seconds if quote else None,
        "quoted_wait_seconds": ticket.quoted_wait_seconds,
        "url": f"{settings.HALLOPS_PUBLIC_URL}/t/{ticket.token}/",
    }


def transaction_out(tx: ServiceTransaction) -> dict[str, Any]:
    overrun = selectors.transaction_overrun(tx=tx, at=timezone.now())
    return {
        "id": tx.pk,
        "counter": tx.counter.number,
        "ticket": tx.ticket.number if tx.ticket_id and tx.ticket else None,
        "service": tx.service.code,
        "extra_services": selectors.transaction_extra_service_codes(tx),
        "phase": tx.phase,
        "limit_seconds": tx.limit_seconds,
        "called_at": tx.called_at,
        "arrived_at": tx.arrived_at,
        "communication_at": tx.communication_at,
        "operation_at": tx.operation_at,
        "done_at": tx.done_at,
        "outcome": tx.outcome,
        "reason": tx.reason,
        "service_seconds": tx.service_seconds,
        "handling_seconds": tx.handling_seconds,
        "overrun": overrun.value if overrun is not None else None,
    }


def pre_order_out(pre: PreOrder, actor: Actor) -> dict[str, Any]:
    """The pre-order; phone and ID unmasked only for roles that need them, each such view audited."""
    show = services.preorder_reveal(actor=actor, pre_order=pre)
    return {
        "id": pre.pk,
        "ticket": pre.ticket_id,
        "service": pre.service.code,
        "state": pre.state,
        "customer_name": pre.customer_name,
        "id_type": pre.id_type,
        "id_number": pre.id_number if show else (mask_id(pre.id_number) if pre.id_number else ""),
        "phone": pre.phone if show else (mask_phone(pre.phone) if pre.phone else ""),
        "products": pre.products,
        "documents": pre.documents,
        "notes": pre.notes,
        "editor": pre.editor.get_username() if pre.editor_id and pre.editor else None,
        "version": pre.version,
        "updated_at": pre.updated_at,
    }


def call_out(result: services.CallResult, actor: Actor) -> dict[str, Any]:
    return {
        "ticket": ticket_out(result.ticket, quote=selectors.WaitQuote(0, 0, 0)),
        "transaction": transaction_out(result.transaction),
        "pre_order": pre_order_out(result.pre_order, actor) if result.pre_order else None,
    }


def counter_out(counter: Counter, current: dict[int, str]) -> dict[str, Any]:
    return {
        "id": counter.pk,
        "number": counter.number,
        "zone": counter.zone,
        "status": counter.status,
        "pause_reason": counter.pause_reason,
        "agent": counter.agent.get_username() if counter.agent_id and counter.agent else None,
        "services": sorted(s.code for s in counter.services.all()),
        "current_ticket": current.get(counter.pk),
    }


# ------------------------------------------------------------------------------------------------- auth

# Every operation may answer these, each with the {code, field, message} body.
ERRORS: dict[int, Any] = {code: s.ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 503)}

auth_router = Router(tags=["auth"])


@auth_router.post("/token", auth=None, response={200: s.TokenOut, **ERRORS, 429: s.ErrorOut})
def create_token(request: HttpRequest, payload: s.TokenIn) -> dict[str, str]:
    return {"token": token_for_login(username=payload.username, password=payload.password, request=request)}


# ------------------------------------------------------------------------------------------------ halls

halls_router = Router(tags=["halls"])


@halls_router.get("", response={200: dict[str, Any], **ERRORS})
def list_halls(request: HttpRequest) -> dict[str, Any]:
    now = timezone.now()
    items = [
        {
            "code": h.code,
            "name": h.name,
            "name_en": h.name_en,
            "timezone": h.timezone,
            "open_24h": h.open_24h,
            "opens_at": h.opens_at,
            "closes_at": h.closes_at,
            "local_date": selectors.hall_local_day(h, now),
        }
        for h in visible_halls(actor_of(request))
    ]
    return {"items": items, "count": len(items)}


@halls_router.get("/{hall}/services", response={200: dict[str, Any], **ERRORS})
def list_services(request: HttpRequest, hall: str) -> dict[str, Any]:
    h = hall_for(actor_of(request), hall)
    items = [
        {
            "code": b.code,
            "name": b.name_zh,
            "name_en": b.name_en,
            "prefix": b.prefix,
            "complexity": b.complexity,
            "limit_minutes": float(b.limit_minutes),
            "kiosk": b.kiosk,
            "forced_self_service": b.forced_self_service,
            "pre_acceptance": b.pre_acceptance,
        }
        for b in selectors.services_for_hall(hall=h)
    ]
    return {"items": items, "count": len(items)}


@halls_router.get("/{hall}/counters", response={200: dict[str, Any], **ERRORS})
def list_counters(request: HttpRequest, hall: str) -> dict[str, Any]:
    h = hall_for(actor_of(request), hall)
    current = selectors.counters_current_numbers(hall_id=h.pk)
    items = [counter_out(c, current) for c in selectors.counters_for_hall(hall=h)]
    return {"items": items, "count": len(items)}


@halls_router.get("/{hall}/queue", response={200: s.QueueOut, **ERRORS})
def hall_queue(request: HttpRequest, hall: str) -> dict[str, Any]:
    h = hall_for(actor_of(request), hall)
    lines = selectors.queue_summary(hall=h, at=timezone.now())
    items = [
        {
            "service": ln.service.code,
            "name": ln.service.name_zh,
            "waiting": ln.waiting,
            "estimated_wait_seconds": ln.estimated_wait_seconds,
        }
        for ln in lines
    ]
    return {"items": items, "count": len(items), "waiting_total": sum(ln.waiting for ln in lines)}


def _hall_for_issue(actor: Actor, code: str, service_code: str) -> tuple[Hall, BusinessType | None]:
    """``hall_for``, and on PostgreSQL the business type read with the hall (issuing is on every ticket's path).

    The business type is None when it was not read or is unknown: the service then looks it up itself.
    """
    if not hotpath.enabled():
        return hall_for(actor, code, Action.TICKET_ISSUE), None
    found, service = hotpath.hall_and_service(code, service_code) if "\x00" not in code else (None, None)
    if found is None:  # PostgreSQL rejects NUL characters, so the look-up is skipped for them
        raise NotFound("hall not found", field="hall")
    require(actor, found.pk, Action.TICKET_ISSUE)
    return found, service


@halls_router.post(
    "/{hall}/tickets",
    response={200: s.TicketOut, 201: s.TicketOut, **ERRORS},
)
def issue_ticket(request: HttpRequest, hall: str, payload: s.TicketIn) -> HttpResponse:
    actor = actor_of(request)
    h, service = _hall_for_issue(actor, hall, payload.service)

    def work() -> tuple[int, dict[str, Any]]:
        result = services.ticket_issue(
            actor=actor,
            hall=h,
            service_code=payload.service,
            service=service,
            channel=payload.channel,
            priority=payload.priority,
            star_level=payload.star_level,
            phone=payload.phone,
            override_reason=payload.override_reason,
        )
        t = result.ticket
        if result.diverted:
            body = ticket_out(t, quote=selectors.WaitQuote(0, None, 0))
            body["position"] = body["people_ahead"] = None
            body["self_service"] = {
                "service": t.service.code,
                "instructions_zh": t.service.self_service_zh,
                "instructions_en": t.service.self_service_en,
            }
        else:
            body = ticket_out(t, quote=selectors.WaitQuote(result.people_ahead, result.estimated_wait_seconds, 0))
        return 201, json.loads(json.dumps(body, cls=DjangoJSONEncoder))

    status, body = run_idempotent(
        scope=f"user:{actor.user_id}",  # a device that logs in again keeps its keys
        key=request.headers.get("Idempotency-Key"),
        payload={"hall": hall, **payload.model_dump()},
        work=work,
    )
    return JsonResponse(body, status=status)


# ---------------------------------------------------------------------------------------------- tickets

tickets_router = Router(tags=["tickets"])


@tickets_router.get("/{ticket_id}", response={200: s.TicketOut, **ERRORS})
def get_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    ticket = services.ticket_for_actor(actor=actor_of(request), ticket_id=ticket_id)
    return ticket_out(ticket)


@tickets_router.post("/{ticket_id}/cancel", response={200: s.TicketOut, **ERRORS})
def cancel_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return ticket_out(services.ticket_cancel(actor=actor_of(request), ticket_id=ticket_id))


@tickets_router.get("/{ticket_id}/pre-order", response={200: s.PreOrderOut, **ERRORS})
def get_pre_order(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    ticket = services.ticket_for_actor(actor=actor, ticket_id=ticket_id, action=Action.PREORDER_VIEW)
    pre = selectors.ticket_pre_order(ticket=ticket)
    if pre is None:
        raise Http404
    return pre_order_out(pre, actor)


@tickets_router.put(
    "/{ticket_id}/pre-order",
    response={200: s.PreOrderOut, **ERRORS},
)
def put_pre_order(request: HttpRequest, ticket_id: int, payload: s.PreOrderIn) -> dict[str, Any]:
    actor = actor_of(request)
    data = payload.model_dump(exclude={"service", "state", "version"})
    pre = services.preorder_save(
        actor=actor,
        ticket_id=ticket_id,
        data=data,
        state=payload.state,
        service_code=payload.service,
        expected_version=payload.version,
    )
    return pre_order_out(pre, actor)


# --------------------------------------------------------------------------------------------- counters

counters_router = Router(tags=["counters"])
R = {200: dict[str, Any], 204: None, **ERRORS}


def _counter_body(counter: Counter) -> dict[str, Any]:
    current = selectors.counters_current_numbers(hall_id=counter.hall_id, counter_id=counter.pk)
    return counter_out(selectors.counter_detail(counter_id=counter.pk), current)


@counters_router.get("/{counter_id}", response=R)
def get_counter(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    counter = Counter.objects.filter(pk=counter_id).first()
    if counter is None:
        raise Http404
    require(actor, counter.hall_id, Action.HALL_VIEW, what="counter")
    body = _counter_body(counter)
    tx = selectors.counter_current_transaction(counter=counter)
    body["transaction"] = transaction_out(tx) if tx else None
    return body


@counters_router.post("/{counter_id}/open", response=R)
def counter_open(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    return _counter_body(services.counter_open(actor=actor_of(request), counter_id=counter_id))


@counters_router.post("/{counter_id}/pause", response=R)
def counter_pause(request: HttpRequest, counter_id: int, payload: s.PauseIn) -> dict[str, Any]:
    return _counter_body(services.counter_pause(actor=actor_of(request), counter_id=counter_id, reason=payload.reason))


@counters_router.post("/{counter_id}/close", response=R)
def counter_close(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    return _counter_body(services.counter_close(actor=actor_of(request), counter_id=counter_id))


@counters_router.post("/{counter_id}/call-next", response=R)
def counter_call_next(request: HttpRequest, counter_id: int) -> Any:
    actor = actor_of(request)
    result = services.counter_call_next(actor=actor, counter_id=counter_id)
    if result is None:
        return Status(204, None)
    return JsonResponse(call_out(result, actor))  # rendered as Ninja would, without re-validating a plain dict


@counters_router.post("/{counter_id}/call", response=R)
def counter_call(request: HttpRequest, counter_id: int, payload: s.CallNumberIn) -> dict[str, Any]:
    actor = actor_of(request)
    return call_out(services.counter_call(actor=actor, counter_id=counter_id, number=payload.number), actor)


@counters_router.post("/{counter_id}/recall", response=R)
def counter_recall(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    return {"transaction": transaction_out(services.counter_recall(actor=actor_of(request), counter_id=counter_id))}


@counters_router.post("/{counter_id}/no-show", response=R)
def counter_no_show(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    return {"ticket": ticket_out(services.counter_no_show(actor=actor_of(request), counter_id=counter_id))}


@counters_router.post("/{counter_id}/transfer", response=R)
def counter_transfer(request: HttpRequest, counter_id: int, payload: s.TransferIn) -> dict[str, Any]:
    child = services.counter_transfer(
        actor=actor_of(request),
        counter_id=counter_id,
        service_code=payload.service,
        to_counter_number=payload.counter,
    )
    return {"ticket": ticket_out(child)}


@counters_router.post("/{counter_id}/park", response=R)
def counter_park(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    ticket = services.counter_park(actor=actor_of(request), counter_id=counter_id)
    return {"ticket": ticket_out(ticket, quote=selectors.WaitQuote(0, None, 0))}


@counters_router.post("/{counter_id}/resume", response=R)
def counter_resume(request: HttpRequest, counter_id: int, payload: s.ResumeIn) -> dict[str, Any]:
    actor = actor_of(request)
    return call_out(services.counter_resume(actor=actor, counter_id=counter_id, ticket_id=payload.ticket), actor)


def _tx(tx: ServiceTransaction) -> HttpResponse:
    # A JsonResponse is what Ninja renders for this dict (DjangoJSONEncoder), without validating it again.
    return JsonResponse({"transaction": transaction_out(tx)})


@counters_router.post("/{counter_id}/arrive", response=R)
def counter_arrive(request: HttpRequest, counter_id: int) -> HttpResponse:
    return _tx(services.counter_arrive(actor=actor_of(request), counter_id=counter_id))


@counters_router.post("/{counter_id}/start-communication", response=R)
def counter_start_communication(request: HttpRequest, counter_id: int) -> HttpResponse:
    return _tx(services.counter_start_communication(actor=actor_of(request), counter_id=counter_id))


@counters_router.post("/{counter_id}/start-operation", response=R)
def counter_start_operation(request: HttpRequest, counter_id: int) -> HttpResponse:
    return _tx(services.counter_start_operation(actor=actor_of(request), counter_id=counter_id))


@counters_router.post("/{counter_id}/complete", response=R)
def counter_complete(request: HttpRequest, counter_id: int, payload: s.CompleteIn | None = None) -> HttpResponse:
    payload = payload or s.CompleteIn()
    return _tx(
        services.counter_complete(
            actor=actor_of(request), counter_id=counter_id, outcome=payload.outcome, reason=payload.reason
        )
    )


@counters_router.post("/{counter_id}/add-service", response=R)
def counter_add_service(request: HttpRequest, counter_id: int, payload: s.ServiceIn) -> HttpResponse:
    return _tx(
        services.counter_add_service(actor=actor_of(request), counter_id=counter_id, service_code=payload.service)
    )


@counters_router.post("/{counter_id}/walk-in", response=R)
def counter_walk_in(request: HttpRequest, counter_id: int, payload: s.ServiceIn) -> HttpResponse:
    return _tx(services.counter_walk_in(actor=actor_of(request), counter_id=counter_id, service_code=payload.service))


# ------------------------------------------------------------------------------------------------ health


@api.get("/health", auth=None, tags=["health"])
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness without the database: the trivial endpoint the benchmark compares against."""
    return {"status": "ok"}


api.add_router("/auth", auth_router)
api.add_router("/halls", halls_router)
api.add_router("/tickets", tickets_router)
api.add_router("/counters", counters_router)

from hallops.alerts.api import router as alerts_router  # noqa: E402  (it imports this package's schemas)

api.add_router("/halls", alerts_router)
