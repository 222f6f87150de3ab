"""Reads for the pre-acceptance tablet and for the pre-order card at the counter.

The waiting list holds today's waiting tickets whose business type is pre-acceptance-capable, in queue order,
with the state of their pre-order. The pre-order card masks the phone and ID number unless the caller's role
may see them and has asked to (each such view audited by ``hall.services.preorder_reveal``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hallops.core.identity import IdType
from hallops.core.masking import mask_id, mask_phone
from hallops.core.states import PreOrderState, TicketState
from hallops.hall.models import PreOrder, Ticket
from hallops.hall.selectors import hall_local_day
from hallops.organisation.models import Hall

ID_TYPE_LABELS: dict[str, Promise] = {
    IdType.RESIDENT.value: _("Resident ID card"),
    IdType.RESIDENT_OLD.value: _("Resident ID card (15 digits, first generation)"),
    IdType.HK_MACAO_PERMIT.value: _("Mainland travel permit for Hong Kong and Macao residents"),
    IdType.TAIWAN_PERMIT.value: _("Mainland travel permit for Taiwan residents"),
    IdType.FOREIGN_PERMANENT.value: _("Foreigner's permanent residence ID card"),
    IdType.PASSPORT.value: _("Passport"),
}

#: Documents the clerk checks with the customer while they wait (codes stored in ``PreOrder.documents``).
DOCUMENT_LABELS: dict[str, Promise] = {
    "id_original": _("ID document (original)"),
    "id_copy": _("Copy of the ID document"),
    "authorisation": _("Letter of authorisation (acting for the holder)"),
    "old_sim": _("Old SIM card"),
    "proof_of_address": _("Proof of address (for broadband)"),
    "household_register": _("Household register"),
}

PREORDER_STATE_LABELS: dict[str, Promise] = {
    PreOrderState.DRAFT.value: _("still in progress"),
    PreOrderState.READY.value: _("pre-order ready"),
    PreOrderState.CONFIRMED.value: _("confirmed"),
    PreOrderState.EXECUTED.value: _("executed"),
    PreOrderState.ABANDONED.value: _("abandoned"),
}


@dataclass(frozen=True)
class PreOrderView:
    """A pre-order as a screen shows it: phone and ID masked unless ``revealed``."""

    pre_order: PreOrder
    state_label: str
    ready: bool
    id_type_label: str
    id_number: str
    phone: str
    documents: list[str]
    revealed: bool
    has_pii: bool


def preorder_view(pre: PreOrder, *, revealed: bool) -> PreOrderView:
    has_pii = bool(pre.id_number or pre.phone)
    show = revealed and has_pii
    return PreOrderView(
        pre_order=pre,
        state_label=str(PREORDER_STATE_LABELS.get(pre.state, pre.state)),
        ready=pre.state == PreOrderState.READY,
        id_type_label=str(ID_TYPE_LABELS.get(pre.id_type, pre.id_type)),
        id_number=pre.id_number if show else (mask_id(pre.id_number) if pre.id_number else ""),
        phone=pre.phone if show else (mask_phone(pre.phone) if pre.phone else ""),
        documents=[str(DOCUMENT_LABELS.get(code, code)) for code in pre.documents],
        revealed=show,
        has_pii=has_pii,
    )


@dataclass(frozen=True)
class WaitingRow:
    ticket: Ticket
    service: str
    pre_state: str | None
    pre_state_label: str
    editor: str | None
    issued_iso: str


@dataclass(frozen=True)
class WaitingList:
    rows: list[WaitingRow] = field(default_factory=list)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def preaccept_waiting(*, hall: Hall, at: dt.datetime, viewer_id: int | None = None) -> WaitingList:
    """Today's waiting tickets of pre-acceptance-capable business types, in queue order, with their pre-order
    (and who else than ``viewer_id`` is editing it)."""
    tickets = (
        Ticket.objects.filter(
            hall=hall, day=hall_local_day(hall, at), status=TicketState.WAITING, service__pre_acceptance=True
        )
        .select_related("service", "pre_order", "pre_order__editor")
        .order_by("rank", "id")
    )
    rows = []
    for t in tickets:
        try:
            pre: PreOrder | None = t.pre_order
        except PreOrder.DoesNotExist:
            pre = None
        editing = (
            pre is not None
            and pre.editor_id not in (None, viewer_id)
            and pre.editor_until is not None
            and pre.editor_until > at
        )
        rows.append(
            WaitingRow(
                ticket=t,
                service=t.service.label,
                pre_state=pre.state if pre else None,
                pre_state_label=str(PREORDER_STATE_LABELS.get(pre.state, pre.state)) if pre else str(_("none yet")),
                editor=pre.editor.get_username() if editing and pre and pre.editor else None,
                issued_iso=_iso(t.issued_at),
            )
        )
    return WaitingList(rows=rows)


def preaccept_ticket(*, hall: Hall, ticket_id: int) -> Ticket | None:
    """A ticket of this hall (any state) with its business type, or None (another hall's ticket is not found)."""
    if not 0 < ticket_id < 2**63:
        return None
    return Ticket.objects.select_related("service", "counter").filter(pk=ticket_id, hall=hall).first()


def ticket_pre_order(*, ticket: Ticket) -> PreOrder | None:
    return PreOrder.objects.select_related("editor", "service").filter(ticket=ticket).first()


def preorder_version(*, ticket: Ticket) -> int:
    """The pre-order's version, 0 before it exists (the tablet sends it back to detect concurrent edits)."""
    version = PreOrder.objects.filter(ticket=ticket).values_list("version", flat=True).first()
    return int(version or 0)
