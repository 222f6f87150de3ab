"""Calling policy: priority bonuses, queue order, next-ticket choice and no-show push-back.

Queue order
    Every waiting ticket has a *rank*: ``issued_at - priority bonus`` (see
    :func:`queue_rank`).  The queue is ordered by ``(rank, id)``.  The database stores
    the rank on the ticket and orders by the same pair, so :func:`queue_rank` is the
    single definition of priority.

Overtaking bound
    A priority bonus is at most ``B = MAX_PRIORITY_BONUS_SECONDS`` (900 s, a 5-star
    VIP).  Hence no ticket is ever overtaken by a ticket issued more than ``B`` seconds
    after it: if B's ticket was issued at ``tB > tA + B`` then
    ``rank_B >= tB - B > tA >= rank_A``.  Within one priority (same bonus) the queue is
    first come, first served.

Times should be timezone-aware UTC datetimes (as the database returns them); the
functions never read the clock themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Priority(StrEnum):
    NORMAL = "normal"
    ELDERLY = "elderly"
    APPOINTMENT = "appointment"
    VIP = "vip"


#: B: the largest bonus any ticket can get (a 5-star VIP).
MAX_PRIORITY_BONUS_SECONDS = 900

_FIXED_BONUS: dict[Priority, int] = {
    Priority.NORMAL: 0,
    Priority.ELDERLY: 300,
    Priority.APPOINTMENT: 600,
}
_VIP_BASE_SECONDS = 300
_VIP_PER_STAR_SECONDS = 120
_VIP_STARS = range(1, 6)

_ONE_MICROSECOND = timedelta(microseconds=1)


def priority_bonus_seconds(priority: Priority, star_level: int = 0) -> int:
    """Seconds a ticket of this priority is moved forward in the queue.

    normal 0, elderly 300, appointment 600, vip ``300 + 120 * star_level`` (stars 1..5,
    i.e. 420..900).  ValueError for a VIP without a star level in 1..5 or for a star
    level other than 0 on a non-VIP ticket.
    """
    priority = Priority(priority)
    if priority is Priority.VIP:
        if star_level not in _VIP_STARS:
            raise ValueError(f"VIP star level must be 1..5, got {star_level!r}")
        return _VIP_BASE_SECONDS + _VIP_PER_STAR_SECONDS * star_level
    if star_level != 0:
        raise ValueError(f"star level only applies to VIP tickets, got {star_level!r} for {priority}")
    return _FIXED_BONUS[priority]


def queue_rank(issued_at: datetime, priority: Priority, star_level: int = 0) -> datetime:
    """The rank stored on a ticket: ``issued_at`` minus the priority bonus."""
    return issued_at - timedelta(seconds=priority_bonus_seconds(priority, star_level))


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A waiting ticket as the calling policy sees it."""

    id: int
    service: str
    rank: datetime
    issued_at: datetime
    priority: Priority = Priority.NORMAL
    star_level: int = 0


def _order_key(entry: QueueEntry) -> tuple[datetime, int]:
    return (entry.rank, entry.id)


def order_queue(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The entries in queue order: by ``(rank, id)``."""
    return sorted(entries, key=_order_key)


def pick_next(entries: Iterable[QueueEntry], services: Collection[str]) -> QueueEntry | None:
    """The next ticket a counter serving ``services`` (business types) should call.

    ``entries`` must be the *waiting* tickets only: tickets held elsewhere (called,
    recalled, serving, parked, or no-show kept for recall) are not waiting, and the
    caller excludes them.  Returns the first entry in queue order whose service the
    counter serves, or None.
    """
    best: QueueEntry | None = None
    for entry in entries:
        if entry.service in services and (best is None or _order_key(entry) < _order_key(best)):
            best = entry
    return best


class NoShowPolicy(StrEnum):
    KEEP = "keep"  # keep for N minutes; may be recalled
    PUSH_BACK = "push_back"  # return to the queue k places back
    CANCEL = "cancel"


def push_back_rank(
    queue: Sequence[QueueEntry],
    places: int,
    *,
    now_rank_floor: datetime | None = None,
    ticket_id: int | None = None,
) -> datetime:
    """The rank that puts a no-show ticket ``places`` positions back in ``queue``.

    ``queue`` is the current waiting queue (it is put in ``(rank, id)`` order here) and
    must not contain the no-show ticket itself.  The result puts exactly ``places``
    tickets ahead of it:

    * ``places == 0``: just before the first ticket (rank of the first minus 1 µs);
    * fewer than ``places + 1`` tickets waiting: at the end -- the rank of the last plus
      1 µs, but not below ``now_rank_floor`` when given; an empty queue needs the floor
      (ValueError otherwise);
    * otherwise the midpoint between the ranks of its two new neighbours, so ordering by
      ``(rank, id)`` puts it exactly between them.

    Ranks have microsecond resolution, so when the two neighbours are less than 2 µs
    apart no rank lies strictly between them.  The ticket then gets the smallest rank
    that does not put it ahead of its due place: giving ``ticket_id`` lets that rank
    tie with the earlier neighbour when the id ordering allows it.  It never lands
    ahead of ``places`` positions back.
    """
    if places < 0:
        raise ValueError(f"places must be >= 0, got {places}")
    ordered = order_queue(queue)
    if not ordered:
        if now_rank_floor is None:
            raise ValueError("empty queue: now_rank_floor is required")
        return now_rank_floor
    if places == 0:
        return ordered[0].rank - _ONE_MICROSECOND
    if places >= len(ordered):
        end = ordered[-1].rank + _ONE_MICROSECOND
        return end if now_rank_floor is None else max(end, now_rank_floor)
    before, after = ordered[places - 1], ordered[places]
    gap = after.rank - before.rank
    if gap >= 2 * _ONE_MICROSECOND:
        # timedelta // int floors to whole microseconds, so this lies strictly inside.
        return before.rank + gap // 2
    if ticket_id is not None and ticket_id > before.id:
        return before.rank
    return before.rank + _ONE_MICROSECOND
