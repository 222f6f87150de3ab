"""The pre-acceptance tablet's write: save a pre-order only if nobody changed it since the clerk opened it.

``hall.services.preorder_save`` keeps one editor at a time (a 5-minute editing lock) and refuses once the ticket
is called. The tablet adds the version it read: if the pre-order's version has moved on since (another clerk
saved after the lock ran out, or the same clerk on a second tablet), the save is refused as a conflict instead of
silently overwriting the newer content.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hallops.core.roles import Action
from hallops.errors import Conflict, NotFound
from hallops.hall import services
from hallops.hall.models import PreOrder, Ticket
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Hall


def preorder_save_checked(
    *,
    actor: Actor,
    hall: Hall,
    ticket_id: int,
    expected_version: int,
    data: dict[str, Any],
    state: str | None = None,
) -> PreOrder:
    """``preorder_save`` for a ticket of ``hall``, refused (409 ``stale_version``) unless the pre-order is still at
    ``expected_version`` (0: it did not exist yet)."""
    require(actor, hall.pk, Action.PREORDER_EDIT)
    with transaction.atomic():
        # The ticket's row lock first, as preorder_save takes it: the version read here cannot change before the save.
        ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id, hall=hall).first()
        if ticket is None:
            raise NotFound("ticket not found", field="ticket")
        current = PreOrder.objects.filter(ticket=ticket).values_list("version", flat=True).first() or 0
        if current != expected_version:
            raise Conflict("the pre-order was changed since you opened it", field="version", code="stale_version")
        return services.preorder_save(actor=actor, ticket_id=ticket.pk, data=data, state=state)
