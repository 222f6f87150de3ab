"""A small seeded history for the dashboard and report tests, loaded through the analytics bulk service.

Per day about 20 tickets in hall h1 (Asia/Shanghai) between 09:00 and 17:00: done transactions of three
business types by agent1/agent2 at counters 1/2 (some over their limit, some rated, some with a pre-order), a
no-show, a diverted ticket, a cancelled one, and a transfer (two done rows of one ticket).
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from hallops.analytics.services import records_load
from hallops.core.kpi import Outcome, TransactionRecord
from hallops.organisation.models import Hall

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = {"new_subscriber": 8.0, "sim_replacement": 3.0, "value_added": 3.0}


def day_records(day: dt.date, rng: random.Random, *, per_day: int = 18) -> list[TransactionRecord]:
    out: list[TransactionRecord] = []
    for n in range(1, per_day + 1):
        issued = dt.datetime.combine(day, dt.time(9), tzinfo=TZ) + dt.timedelta(minutes=rng.randrange(0, 8 * 60))
        service = rng.choice(list(LIMITS))
        common = {
            "ticket": f"A{n:03d}",
            "service": service,
            "channel": rng.choice(["greeter", "kiosk"]),
            "priority": "normal",
            "issued_at": issued,
            "quoted_wait_seconds": float(rng.randrange(0, 900)),
        }
        called = issued + dt.timedelta(seconds=rng.randrange(30, 1500))
        agent, counter = rng.choice([("agent1", "1"), ("agent2", "2")])
        if n == per_day:  # diverted to self-service: one row, never called
            out.append(TransactionRecord(outcome=Outcome.DIVERTED, **common | {"quoted_wait_seconds": None}))  # type: ignore[arg-type]
            continue
        if n == per_day - 1:  # a no-show
            ended = called + dt.timedelta(minutes=2)
            out.append(
                TransactionRecord(
                    called_at=called, ended_at=ended, outcome=Outcome.NO_SHOW, counter=counter, agent=agent, **common
                )  # type: ignore[arg-type]
            )
            continue
        if n == per_day - 2:  # cancelled while waiting
            out.append(TransactionRecord(ended_at=called, outcome=Outcome.CANCELLED, **common))  # type: ignore[arg-type]
            continue
        arrived = called + dt.timedelta(seconds=rng.randrange(10, 60))
        service_s = rng.randrange(60, int(LIMITS[service] * 60 * 1.6))
        ended = arrived + dt.timedelta(seconds=service_s)
        out.append(
            TransactionRecord(
                called_at=called,
                arrived_at=arrived,
                communication_at=arrived,
                operation_at=arrived + dt.timedelta(seconds=service_s // 2),
                ended_at=ended,
                outcome=Outcome.DONE,
                counter=counter,
                agent=agent,
                rating=rng.choice([None, 1, 2, 3, 3]),
                pre_order=rng.random() < 0.3,
                limit_minutes=LIMITS[service],
                **common,  # type: ignore[arg-type]
            )
        )
        if n == 1:  # a transfer: a second done transaction of the same ticket at the other counter
            called2 = ended + dt.timedelta(seconds=30)
            out.append(
                TransactionRecord(
                    called_at=called2,
                    ended_at=called2 + dt.timedelta(seconds=100),
                    outcome=Outcome.DONE,
                    counter="2" if counter == "1" else "1",
                    agent="agent2" if agent == "agent1" else "agent1",
                    limit_minutes=LIMITS[service],
                    **common | {"service": service},  # type: ignore[arg-type]
                )
            )
    return out


def history(start: dt.date, days: int, *, seed: int = 4, per_day: int = 18) -> list[TransactionRecord]:
    rng = random.Random(seed)
    return [r for i in range(days) for r in day_records(start + dt.timedelta(days=i), rng, per_day=per_day)]


def load_history(hall: Hall, start: dt.date, days: int, *, seed: int = 4, per_day: int = 18) -> list[TransactionRecord]:
    """Load the history into ``hall`` (as an import) and return its records."""
    records = history(start, days, seed=seed, per_day=per_day)
    records_load(hall=hall, records=records, source="import")
    return records
