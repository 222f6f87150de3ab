"""Writes for ratings: a customer rates a finished transaction on the counter's rating pad."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from hallops.accounts.models import Device
from hallops.alerts.services import alert_raise
from hallops.audit.services import audit_record
from hallops.core.alerting import AlertKind, AlertSeverity, alert_key
from hallops.core.roles import Action
from hallops.errors import Conflict, Invalid, NotFound
from hallops.feedback.models import Rating, Reason, Score
from hallops.feedback.selectors import RATEABLE_OUTCOMES, RATING_WINDOW
from hallops.hall.events import event_record
from hallops.hall.models import ServiceTransaction
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Counter, Hall

COMMENT_MAX = 500


def _clean(score: int, reasons: Iterable[str], comment: str) -> tuple[int, list[str], str]:
    if score not in Score.values:
        raise Invalid("score is 3 (very satisfied), 2 (satisfied) or 1 (dissatisfied)", field="score")
    codes: list[str] = []
    for code in reasons:
        if code not in Reason.values:
            raise Invalid(f"unknown reason {code!r}", field="reasons", code="invalid_choice")
        if code not in codes:
            codes.append(code)
    if codes and score != Score.DISSATISFIED:
        raise Invalid("reasons are given only with a dissatisfied rating", field="reasons")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid(f"the comment is longer than {COMMENT_MAX} characters", field="comment", code="too_long")
    if "\x00" in comment:
        raise Invalid("the comment holds a NUL character", field="comment")
    return score, codes, comment


def rating_submit(
    *,
    actor: Actor,
    hall: Hall,
    counter_number: int,
    transaction_id: int,
    score: int,
    reasons: Iterable[str] = (),
    comment: str = "",
    at: dt.datetime | None = None,
) -> Rating:
    """Store the customer's rating of a finished transaction at this counter: once, within the rating window.

    The rating names the transaction's agent. A rating pad may rate only at its own counter (another counter is
    404, as for its pages). Appends the hall event ``rating.submitted`` and an audit row.
    """
    require(actor, hall.pk, Action.RATING_SUBMIT)
    device = Device.objects.filter(user_id=actor.user_id).only("kind", "hall_id", "counter_number").first()
    if device is not None and (
        device.kind != Device.Kind.RATING_PAD or device.hall_id != hall.pk or device.counter_number != counter_number
    ):
        raise NotFound("counter not found", field="counter")
    score, codes, comment = _clean(score, reasons, comment)
    now = at if at is not None else timezone.now()
    with transaction.atomic():
        # The counter's lock first, as for every counter write: a rating and the counter's next call serialise.
        counter = Counter.objects.select_for_update().filter(hall=hall, number=counter_number).first()
        if counter is None:
            raise NotFound("counter not found", field="counter")
        tx = ServiceTransaction.objects.select_related("ticket").filter(pk=transaction_id, counter=counter).first()
        if tx is None:
            raise NotFound("no such transaction at this counter", field="transaction")
        if tx.done_at is None or tx.outcome not in RATEABLE_OUTCOMES:
            raise Conflict("only a finished transaction can be rated", field="transaction", code="not_finished")
        if Rating.objects.filter(transaction=tx).exists():
            raise Conflict("this transaction has already been rated", field="transaction", code="already_rated")
        if now - tx.done_at > RATING_WINDOW:
            raise Conflict("the time to rate this transaction is over", field="transaction", code="window_closed")
        rating = Rating.objects.create(
            transaction=tx,
            hall=hall,
            counter=counter,
            agent_id=tx.agent_id,
            score=score,
            reasons=codes,
            comment=comment,
            created_at=now,
            submitted_by_id=actor.user_id,
        )
        number = tx.ticket.number if tx.ticket is not None else None
        event_record(
            hall_id=hall.pk,
            kind="rating.submitted",
            at=now,
            actor_id=actor.user_id,
            ticket=tx.ticket,
            counter=counter,
            transaction=tx,
            data={"number": number, "score": score, "reasons": codes},
        )
        audit_record(
            actor=actor,
            action="rating.submit",
            object_type="rating",
            object_id=rating.pk,
            hall_id=hall.pk,
            at=now,
            detail={"transaction": tx.pk, "counter": counter.number, "score": score, "agent": tx.agent_id},
        )
        if score == Score.DISSATISFIED:  # the floor and the counter see it at once (hallops.alerts)
            alert_raise(
                hall=hall,
                kind=AlertKind.DISSATISFIED_RATING,
                key=alert_key(AlertKind.DISSATISFIED_RATING, "rating", rating.pk),
                severity=AlertSeverity.WARNING,
                data={"counter": counter.number, "number": number, "reasons": codes, "rating": rating.pk},
                counter=counter,
                ticket=tx.ticket,
                at=now,
            )
    return rating
