"""Reads for the customer-facing screens (greeter, kiosk, ticket page): needs with their search keys and
waits, the route to recommend, the live ticket behind a token, the printed slip.

Every wait comes from ``hallops.hall.selectors`` (``queue_summary``, ``wait_quote``, ``ticket_wait_quote``):
one estimator, never a second one here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

import segno
from django.conf import settings
from pypinyin import Style, lazy_pinyin

from hallops.catalog.models import BusinessType
from hallops.hall.models import Ticket
from hallops.hall.selectors import WaitQuote, queue_summary, ticket_wait_quote, wait_quote
from hallops.organisation.models import Hall
from hallops.rules.selectors import hall_effects


@lru_cache(maxsize=512)
def pinyin_keys(name_zh: str) -> tuple[str, str]:
    """``补换卡`` → (``bhk``, ``buhuanka``): the initials and the full pinyin, lower case, letters only."""
    initials = "".join(p[:1] for p in lazy_pinyin(name_zh, style=Style.FIRST_LETTER) if p.isalpha())
    full = "".join(p for p in lazy_pinyin(name_zh) if p.isalpha())
    return initials.lower(), full.lower()


def search_text(service: BusinessType) -> str:
    """What the greeter's search box matches: Chinese and English names, code, pinyin initials and pinyin."""
    initials, full = pinyin_keys(service.name_zh)
    return " ".join([service.name_zh, service.name_en.lower(), service.code.replace("_", " "), initials, full])


def wait_minutes(seconds: int | None) -> int | None:
    """Whole minutes, rounded up (a customer told "about 3 min" should not wait 3:40)."""
    return None if seconds is None else math.ceil(seconds / 60)


@dataclass(frozen=True)
class Need:
    service: BusinessType
    search: str
    initials: str
    waiting: int
    wait_minutes: int | None
    forced: bool = False  # diverted to self-service (the catalog, or the hall's rules now)


def hall_needs(*, hall: Hall, at: dt.datetime, kiosk_only: bool = False) -> list[Need]:
    """The hall's business types in display order, each with how many wait and the wait of a new ticket."""
    needs = []
    effects = hall_effects(hall)
    for line in queue_summary(hall=hall, at=at):
        service = line.service
        if kiosk_only and not service.kiosk:
            continue
        needs.append(
            Need(
                service=service,
                search=search_text(service),
                initials=pinyin_keys(service.name_zh)[0],
                waiting=line.waiting,
                wait_minutes=wait_minutes(line.estimated_wait_seconds),
                forced=service.forced_self_service or effects.forces_self_service(service.code),
            )
        )
    needs.sort(key=lambda n: (n.service.sort_order, n.service.code))
    return needs


def need_by_code(*, code: str) -> BusinessType | None:
    return BusinessType.objects.filter(code=code, active=True).first() if code else None


def need_forced(*, hall: Hall, service: BusinessType) -> bool:
    """Diverted to self-service: by the catalog, or by the hall's rules now (e.g. simple business at peak)."""
    return service.forced_self_service or hall_effects(hall).forces_self_service(service.code)


@dataclass(frozen=True)
class Route:
    """One way to serve the need: ``self_service`` (forced), ``kiosk``, ``preaccept`` or ``counter``."""

    kind: str
    recommended: bool
    wait_minutes: int | None  # None: no counter open for it (or no queue, for the kiosk)
    people_ahead: int


def need_routes(*, hall: Hall, service: BusinessType, at: dt.datetime) -> list[Route]:
    """The recommendation for a need, best first: kiosk if kiosk-capable (forced types: self-service only,
    the counter by override), pre-acceptance if pre-acceptance-capable, else the counter; each with its wait.

    The hall's rules may force a type to self-service, and in a hall run by rules pre-acceptance is offered only
    for the types the rules have switched it on for (busy/idle modes, ``hallops.rules``)."""
    quote: WaitQuote = wait_quote(hall=hall, service_id=service.pk, at=at)
    counter = Route("counter", False, wait_minutes(quote.estimated_wait_seconds), quote.people_ahead)
    effects = hall_effects(hall)
    forced = service.forced_self_service or effects.forces_self_service(service.code)
    routes: list[Route] = []
    if forced:
        routes.append(Route("self_service", True, 0, 0))
    elif service.kiosk:
        routes.append(Route("kiosk", True, 0, 0))
    if effects.offers_preacceptance(service.code, service.pre_acceptance) and not forced:
        # Pre-acceptance fills the order while the ticket waits for the counter: the same wait, a shorter visit.
        routes.append(Route("preaccept", not routes, counter.wait_minutes, counter.people_ahead))
    routes.append(Route("counter", not routes, counter.wait_minutes, counter.people_ahead))
    return routes


def ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return Ticket.objects.select_related("hall", "service", "counter").filter(token=token).first()


def live_ticket(ticket: Ticket) -> Ticket:
    """The ticket the customer holds now: after transfers, the newest descendant of the one they were given."""
    current = ticket
    for _hop in range(50):  # a visit is transferred a few times at most
        child = (
            Ticket.objects.select_related("hall", "service", "counter").filter(parent=current).order_by("-id").first()
        )
        if child is None:
            break
        current = child
    return current


def ticket_url(ticket: Ticket) -> str:
    return f"{settings.HALLOPS_PUBLIC_URL}/t/{ticket.token}/"


def qr_svg(url: str) -> str:
    """An inline SVG QR code (no external request, prints sharp at any size)."""
    return str(segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=False))


@dataclass(frozen=True)
class TicketView:
    """What the customer's screens show about a ticket."""

    ticket: Ticket
    people_ahead: int
    wait_minutes: int | None
    issued_local: dt.datetime
    counter_number: int | None


def ticket_state(*, ticket: Ticket, at: dt.datetime) -> TicketView:
    quote = ticket_wait_quote(ticket=ticket, at=at)
    return TicketView(
        ticket=ticket,
        people_ahead=quote.people_ahead,
        wait_minutes=wait_minutes(quote.estimated_wait_seconds),
        issued_local=ticket.issued_at.astimezone(ticket.hall.tz),
        counter_number=ticket.counter.number if ticket.counter_id and ticket.counter else None,
    )
