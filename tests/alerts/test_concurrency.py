"""alert_raise under races: one unresolved alert per (hall, key), whoever raises it first.

The thread test needs a file SQLite database (``HALLOPS_TEST_SQLITE``) or PostgreSQL, like
tests/hall/test_concurrency.py.
The other tests force the lost race deterministically on any database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from hallops.alerts import services
from hallops.alerts.models import Alert, State
from hallops.hall.models import HallEvent
from tests.factories import Setup, shanghai

T0 = shanghai(2026, 3, 2, 10, 0)


def run_together(tasks: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(tasks))

    def worker(task: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=30)
            return task()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(worker, tasks))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"),
    reason="concurrency tests need a file SQLite database (set HALLOPS_TEST_SQLITE) or PostgreSQL",
)
def test_twenty_threads_raising_one_condition_make_one_alert(setup: Setup) -> None:
    """20 detectors raising the same key at once: no error, one alert, all of them returned it, one event."""

    def task(i: int) -> Callable[[], Any]:
        return lambda: services.alert_raise(
            hall=setup.hall, kind="over_limit", key="over_limit:tx:1", severity="warning", data={"n": i}, at=T0
        )

    results = run_together([task(i) for i in range(20)])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, repr(errors[0]) if errors else ""
    assert len({r.pk for r in results}) == 1
    alert = Alert.objects.get()
    assert alert.raise_count == 20
    assert HallEvent.objects.filter(kind="alert.raised").count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_unresolved_alert_per_key(setup: Setup) -> None:
    """The partial unique constraint itself: a second open row for the key fails; a resolved one does not."""
    common = {"hall": setup.hall, "kind": "over_limit", "severity": "info", "raised_at": T0, "updated_at": T0}
    Alert.objects.create(key="k", state=State.RESOLVED, **common)
    Alert.objects.create(key="k", state=State.OPEN, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(key="k", state=State.ACKNOWLEDGED, **common)


@pytest.mark.django_db
def test_losing_the_race_updates_the_winners_alert(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the first read misses a row another process inserts, the insert fails and the raise updates that row."""
    winner = services.alert_raise(
        hall=setup.hall, kind="over_limit", key="over_limit:tx:9", severity="warning", data={"n": 1}, at=T0
    )
    real = services._unresolved
    calls: list[int] = []

    def stale_first_read(hall_id: int, key: str) -> Alert | None:
        calls.append(1)
        return None if len(calls) == 1 else real(hall_id, key)

    monkeypatch.setattr(services, "_unresolved", stale_first_read)
    with transaction.atomic():  # the caller's own transaction survives the failed insert (savepoint)
        got = services.alert_raise(
            hall=setup.hall, kind="over_limit", key="over_limit:tx:9", severity="critical", data={"n": 2}, at=T0
        )
        assert HallEvent.objects.filter(hall=setup.hall).count() == 2
    assert got.pk == winner.pk and len(calls) == 2
    stored = Alert.objects.get()
    assert stored.data == {"n": 2} and stored.severity == "critical" and stored.raise_count == 2
