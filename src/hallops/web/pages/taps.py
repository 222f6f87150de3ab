"""Issuing from a page, once per tap: every form that can create a ticket carries a one-time ``tap`` key.

A retried or double POST with the same key returns the first answer (the API's Idempotency-Key rules,
``hallops.api.idempotency``, scoped to the same user); a refused request frees its key for a corrected retry.
Also: domain errors turned into the words shown next to the field, in the page's language.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from hallops.api.idempotency import run_idempotent
from hallops.errors import Conflict, DomainError, Invalid
from hallops.hall.models import Ticket
from hallops.organisation.access import Actor

_TAP = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_IN_FLIGHT_WAIT = 0.25
_IN_FLIGHT_TRIES = 12


def new_tap() -> str:
    return uuid.uuid4().hex


def issue_once(*, actor: Actor, tap: str, payload: dict[str, Any], work: Callable[[], Ticket]) -> str:
    """Run ``work`` (which issues one ticket) once per tap; return the ticket's token (the first one on a retry)."""
    if not _TAP.match(tap or ""):
        raise Invalid(_("This form has expired: please try again."), field="tap", code="invalid_tap")

    def run() -> tuple[int, dict[str, Any]]:
        ticket = work()
        return 201, {"token": ticket.token}

    for _try in range(_IN_FLIGHT_TRIES):
        try:
            _status, body = run_idempotent(scope=f"user:{actor.user_id}", key=f"page:{tap}", payload=payload, work=run)
        except Conflict as exc:
            if exc.code != "idempotency_in_flight":
                raise
            time.sleep(_IN_FLIGHT_WAIT)  # the first tap is still being issued: answer with its ticket
            continue
        return str(body["token"])
    raise Conflict(_("Your ticket is still being issued: wait a moment."), field="tap", code="idempotency_in_flight")


def error_text(exc: DomainError) -> str:
    """The message for a domain error, in the page's language (the services speak English to the API)."""
    by_code = {
        "invalid_phone": _("This is not a valid mobile number."),
        "hall_closed": _("The hall is not issuing tickets now."),
        "unknown_service": _("Choose a business type."),
        "role_not_allowed": _("Your role may not override self-service."),
        "idempotency_mismatch": _("This screen was already used for another ticket: please start again."),
        "idempotency_in_flight": _("Your ticket is still being issued: wait a moment."),
        "not_waiting": _("Only a waiting ticket can be cancelled."),
        "illegal_transition": _("Only a waiting ticket can be cancelled."),
    }
    if exc.code in by_code:
        return by_code[exc.code]
    if exc.field == "star_level":
        return _("A VIP ticket needs a star level from 1 to 5.")
    if exc.field == "priority":
        return _("Choose a priority.")
    return exc.message


def error_field(exc: DomainError, fields: tuple[str, ...], default: str) -> str:
    """The form field an error belongs to (errors about the form as a whole go to ``default``)."""
    return exc.field if exc.field in fields else default
