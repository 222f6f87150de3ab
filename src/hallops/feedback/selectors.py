"""Reads for ratings: which finished transaction a counter's pad should ask about, and ratings shown to staff."""

from __future__ import annotations

import datetime as dt

from hallops.feedback.models import Rating
from hallops.hall.models import Outcome, ServiceTransaction
from hallops.organisation.models import Counter, Hall

#: A customer may rate a transaction for this long after it was finished.
RATING_WINDOW = dt.timedelta(minutes=10)
#: The outcomes a customer is asked to rate: the customer was served (completed or not).
RATEABLE_OUTCOMES = (Outcome.COMPLETED.value, Outcome.NOT_COMPLETED.value)


def transaction_awaiting_rating(*, hall: Hall, counter_number: int, at: dt.datetime) -> ServiceTransaction | None:
    """The counter's latest transaction, if it is finished, served, unrated and inside the rating window.

    None while a transaction is in progress or after the counter moved on (the pad goes back to idle).
    """
    last = (
        ServiceTransaction.objects.filter(counter__hall=hall, counter__number=counter_number)
        .select_related("ticket", "service", "agent", "counter")
        .order_by("-called_at", "-id")
        .first()
    )
    if last is None or last.done_at is None or last.outcome not in RATEABLE_OUTCOMES:
        return None
    if at - last.done_at > RATING_WINDOW or Rating.objects.filter(transaction=last).exists():
        return None
    return last


def counter_for_pad(*, hall: Hall, number: int) -> Counter | None:
    return Counter.objects.select_related("agent").filter(hall=hall, number=number).first()


def ratings_by_transaction(*, transaction_ids: list[int]) -> dict[int, Rating]:
    """The ratings of these transactions (those rated), by transaction id."""
    return {r.transaction_id: r for r in Rating.objects.filter(transaction_id__in=transaction_ids)}
