"""The KPI definition (hallops.core.kpi) on small histories computed by hand (docs/kpis.md)."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.kpi import (
    GroupBy,
    Kpis,
    Outcome,
    RecordError,
    TransactionRecord,
    compute_kpis,
    kpis_as_dict,
    percentile_linear,
    record_errors,
    record_problem,
    report_as_dict,
)

CST = timezone(timedelta(hours=8))
SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTS = ("arrivals", "called", "served_tickets", "no_shows", "cancelled", "diverted", "served", "rated", "agents")
BERLIN = ZoneInfo("Europe/Berlin")


def at(hhmmss: str, day: int = 10) -> datetime:
    """2024-03-<day> hh:mm[:ss] at +08:00."""
    parts = [int(p) for p in hhmmss.split(":")]
    return datetime(2024, 3, day, parts[0], parts[1], parts[2] if len(parts) > 2 else 0, tzinfo=CST)


def rec(ticket: str, service: str, issued: str, outcome: Outcome, **kw: object) -> TransactionRecord:
    """A record with the hall's usual defaults; times as 'hh:mm[:ss]' strings are turned into datetimes."""
    fields: dict[str, object] = {"channel": "greeter", "priority": "normal", "limit_minutes": 3.0}
    for name, value in kw.items():
        fields[name] = at(value) if name.endswith("_at") and isinstance(value, str) else value
    return TransactionRecord(
        ticket=ticket,
        service=service,
        issued_at=at(issued),
        outcome=outcome,
        **fields,  # type: ignore[arg-type]
    )


DONE, NO_SHOW, CANCELLED, DIVERTED = Outcome.DONE, Outcome.NO_SHOW, Outcome.CANCELLED, Outcome.DIVERTED
SIM, NEW = "sim_replacement", "new_subscriber"

#: the hand-computed history used by most tests (times at +08:00 on 2024-03-10)
HISTORY = [
    # A001: wait 240; walk 60, communication 40, operation 150, handling 270, service 210 > 180 (over)
    rec("A001", SIM, "09:00", DONE, channel="kiosk", called_at="09:04", arrived_at="09:05",
        communication_at="09:05:20", operation_at="09:06", ended_at="09:08:30", counter="1", agent="a1",
        rating=3, quoted_wait_seconds=300.0),
    # A002: wait 1080; walk 60, communication 240, operation 180, handling 480, service 420 <= 480; pre-order
    rec("A002", NEW, "09:02", DONE, called_at="09:20", arrived_at="09:21", communication_at="09:21",
        operation_at="09:25", ended_at="09:28", counter="2", agent="a2", rating=1, quoted_wait_seconds=600.0,
        pre_order=True, limit_minutes=8.0),
    # A003, a transfer: wait 120 (first call only). First transaction without arrival or operation:
    # communication runs to the end (150), handling 180, service from the call 180 = limit (not over).
    rec("A003", SIM, "09:10", DONE, priority="vip", called_at="09:12", communication_at="09:12:30",
        ended_at="09:15", counter="1", agent="a1", quoted_wait_seconds=120.0),
    # ... then at counter 2 for new_subscriber: walk 60, operation 540, handling 600, service 540 > 480 (over)
    rec("A003", NEW, "09:10", DONE, priority="vip", called_at="09:30", arrived_at="09:31", operation_at="09:31",
        ended_at="09:40", counter="2", agent="a2", rating=2, quoted_wait_seconds=120.0, pre_order=True,
        limit_minutes=8.0),
    # A004: diverted to self-service, never called
    rec("A004", "bill_query", "09:15", DIVERTED, channel="kiosk", limit_minutes=None),
    # A005: called after 1800 s, no-show (quoted 900: error 900)
    rec("A005", SIM, "09:20", NO_SHOW, priority="elderly", called_at="09:50", counter="1", agent="a1",
        quoted_wait_seconds=900.0),
    # A006: cancelled while waiting (its quote does not count: never called)
    rec("A006", SIM, "09:25", CANCELLED, channel="kiosk", ended_at="09:40", quoted_wait_seconds=600.0),
    # A007: missed its first call (wait 900), recalled and served: walk 30, handling 180, service 150
    rec("A007", SIM, "09:30", NO_SHOW, called_at="09:45", counter="2", agent="a2"),
    rec("A007", SIM, "09:30", DONE, called_at="10:00", arrived_at="10:00:30", ended_at="10:03", counter="2",
        agent="a2"),
]  # fmt: skip


def test_total_figures_match_the_hand_computation() -> None:
    """Every figure of the fixed history equals the value computed by hand in the comments above."""
    k = compute_kpis(HISTORY).total
    assert (k.arrivals, k.called, k.served_tickets, k.served) == (7, 5, 4, 5)
    assert (k.no_shows, k.cancelled, k.diverted) == (2, 1, 1)
    assert k.no_show_rate == 2 / 5
    assert k.cancel_rate == 1 / 7 and k.diversion_share == 1 / 7
    # waits sorted: 120, 240, 900, 1080, 1800
    assert k.wait_mean_seconds == 828.0
    assert k.wait_median_seconds == 900.0
    assert k.wait_p90_seconds == 1512.0  # h = 4 * 0.9 = 3.6: 1080 + 0.6 * (1800 - 1080)
    assert k.wait_within_10min_share == 2 / 5
    assert k.quoted_wait_mae_seconds == (60 + 480 + 0 + 900) / 4
    assert k.walk_mean_seconds == (60 + 60 + 60 + 30) / 4
    assert k.communication_mean_seconds == (40 + 240 + 150) / 3
    assert k.operation_mean_seconds == (150 + 180 + 540) / 3
    assert k.handling_mean_seconds == (270 + 480 + 180 + 600 + 180) / 5
    assert k.service_mean_seconds == (210 + 420 + 180 + 540 + 150) / 5
    assert k.over_limit_share == 2 / 5
    assert [(o.ticket, o.service, o.service_seconds, o.limit_seconds) for o in k.over_limit] == [
        ("A001", SIM, 210.0, 180.0),
        ("A003", NEW, 540.0, 480.0),
    ]
    assert k.pre_order_share == 2 / 5
    assert k.handling_mean_with_pre_order_seconds == 540.0
    assert k.handling_mean_without_pre_order_seconds == 210.0
    assert (k.rated, k.rating_rate, k.satisfaction_share) == (3, 3 / 5, 2 / 3)
    # a1 did 2 transactions, a2 did 3: mean 2.5, population standard deviation 0.5
    assert (k.agents, k.workload_cv) == (2, 0.2)
    assert k.pre_order_complex_coverage is None


def test_by_agent_tickets_follow_their_first_call_and_transactions_their_own_agent() -> None:
    """Per agent: a ticket counts for the agent of its first transaction (A003 for a1, though a2 finished it),
    each done transaction for its own agent; tickets never called form the group ""."""
    groups = compute_kpis(HISTORY, by=GroupBy.AGENT).groups
    assert list(groups) == ["", "a1", "a2"]
    a1, a2, none = groups["a1"], groups["a2"], groups[""]
    assert (a1.arrivals, a1.called, a1.no_shows, a1.served) == (3, 3, 1, 2)  # A001, A003, A005
    assert a1.wait_mean_seconds == (240 + 120 + 1800) / 3
    assert (a2.arrivals, a2.called, a2.no_shows, a2.served) == (2, 2, 1, 3)  # A002, A007; A002, A003b, A007b
    assert a2.wait_mean_seconds == (1080 + 900) / 2
    assert a2.over_limit_share == 1 / 3 and a1.over_limit_share == 1 / 2
    assert (none.arrivals, none.called, none.cancelled, none.diverted, none.served) == (2, 0, 1, 1, 0)
    assert none.no_show_rate is None and none.wait_mean_seconds is None and none.handling_mean_seconds is None
    assert none.cancel_rate == 0.5 and none.workload_cv is None


def test_by_service_a_transfer_counts_once_as_arrival_and_once_per_transaction() -> None:
    """Per service: the transfer A003 is one sim_replacement arrival but one transaction in each service."""
    groups = compute_kpis(HISTORY, by=GroupBy.SERVICE).groups
    assert list(groups) == ["bill_query", NEW, SIM]
    assert (groups[SIM].arrivals, groups[NEW].arrivals, groups["bill_query"].arrivals) == (5, 1, 1)
    assert (groups[SIM].served, groups[NEW].served) == (3, 2)
    assert groups[NEW].over_limit_share == 1 / 2 and groups[SIM].over_limit_share == 1 / 3
    assert groups[NEW].handling_mean_seconds == (480 + 600) / 2


def test_by_channel_and_counter() -> None:
    """Channel is the ticket's (transactions follow it); counter groups like agent."""
    channels = compute_kpis(HISTORY, by=GroupBy.CHANNEL).groups
    assert {key: (k.arrivals, k.served) for key, k in channels.items()} == {"greeter": (4, 4), "kiosk": (3, 1)}
    counters = compute_kpis(HISTORY, by=GroupBy.COUNTER).groups
    assert {key: (k.arrivals, k.served) for key, k in counters.items()} == {"": (2, 0), "1": (3, 2), "2": (2, 3)}


def test_empty_history_gives_zero_counts_and_null_figures() -> None:
    """No records: counts are 0 and every mean, share and percentile is None (an empty denominator)."""
    values = kpis_as_dict(compute_kpis([]).total)
    for name, value in values.items():
        if name == "over_limit":
            assert value == []
        elif name in COUNTS:
            assert value == 0
        else:
            assert value is None, name


def test_no_show_only_ticket_has_no_handling_and_a_zero_share_not_null() -> None:
    """A single no-show: called 1, no-show rate 1, served 0, so the done-transaction figures are None."""
    k = compute_kpis([rec("B001", SIM, "10:00", NO_SHOW, called_at="10:05")]).total
    assert (k.called, k.no_show_rate, k.served, k.wait_mean_seconds) == (1, 1.0, 0, 300.0)
    assert k.handling_mean_seconds is None and k.over_limit_share is None and k.satisfaction_share is None
    assert k.cancel_rate == 0.0 and k.diversion_share == 0.0


def test_missing_phases_are_left_out_of_their_means() -> None:
    """A done transaction without arrival, communication or operation marks: service runs from the call,
    and the walk/communication/operation means have no value rather than a zero."""
    k = compute_kpis([rec("B001", SIM, "10:00", DONE, called_at="10:01", ended_at="10:03")]).total
    assert k.service_mean_seconds == 120.0 and k.handling_mean_seconds == 120.0
    assert k.walk_mean_seconds is None and k.communication_mean_seconds is None and k.operation_mean_seconds is None


def test_service_exactly_at_the_limit_is_not_over() -> None:
    """Over-limit means strictly above the limit (timing.overrun_state): 180 s on a 3-minute limit is fine."""
    exact = rec("B001", SIM, "10:00", DONE, called_at="10:00", ended_at="10:03")
    over = rec("B002", SIM, "10:00", DONE, called_at="10:00", ended_at="10:03:01")
    assert compute_kpis([exact]).total.over_limit_share == 0.0
    assert compute_kpis([exact, over]).total.over_limit_share == 0.5


def test_wait_of_exactly_ten_minutes_is_within_target() -> None:
    """wait_within_10min_share counts waits <= 600 s."""
    records = [
        rec("B001", SIM, "10:00", DONE, called_at="10:10", ended_at="10:11"),
        rec("B002", SIM, "10:00", DONE, called_at="10:10:01", ended_at="10:11"),
    ]
    assert compute_kpis(records).total.wait_within_10min_share == 0.5


def test_ticket_spanning_midnight_counts_on_its_issue_day() -> None:
    """A ticket issued at 23:55 and served after midnight counts (arrival, wait and transaction) on the day it
    was issued; the same number issued again after midnight is another ticket."""
    late = TransactionRecord(
        ticket="A001", service=SIM, channel="kiosk", priority="normal", issued_at=at("23:55"),
        called_at=at("00:05", day=11), ended_at=at("00:08", day=11), outcome=DONE, limit_minutes=3.0,
    )  # fmt: skip
    early = TransactionRecord(
        ticket="A001", service=SIM, channel="kiosk", priority="normal", issued_at=at("00:02", day=11),
        called_at=at("00:06", day=11), ended_at=at("00:07", day=11), outcome=DONE, limit_minutes=3.0,
    )  # fmt: skip
    report = compute_kpis([late, early], by=GroupBy.DAY)
    assert report.total.arrivals == 2
    day10, day11 = report.groups["2024-03-10"], report.groups["2024-03-11"]
    assert (day10.arrivals, day10.served, day10.wait_mean_seconds, day10.handling_mean_seconds) == (1, 1, 600, 180)
    assert (day11.arrivals, day11.served, day11.wait_mean_seconds) == (1, 1, 240)
    hours = compute_kpis([late, early], by=GroupBy.HOUR).groups
    assert list(hours) == ["2024-03-10T23:00+08:00", "2024-03-11T00:00+08:00"]


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def _at_utc(ticket: str, issued: str) -> TransactionRecord:
    start = _utc(issued)
    return TransactionRecord(
        ticket=ticket, service=SIM, channel="kiosk", priority="normal", issued_at=start,
        called_at=start + timedelta(minutes=5), ended_at=start + timedelta(minutes=7), outcome=DONE,
        limit_minutes=3.0,
    )  # fmt: skip


def test_hours_in_asia_shanghai_with_tz() -> None:
    """UTC timestamps grouped with tz=Asia/Shanghai fall in Shanghai's hours (+08:00, no DST), and the
    same instants without tz in their own UTC hours."""
    records = [
        _at_utc("A001", "2024-03-10T01:10"),
        _at_utc("A002", "2024-03-10T01:50"),
        _at_utc("A003", "2024-03-10T16:20"),
    ]
    hours = compute_kpis(records, by=GroupBy.HOUR, tz=SHANGHAI).groups
    assert {key: k.arrivals for key, k in hours.items()} == {"2024-03-10T09:00+08:00": 2, "2024-03-11T00:00+08:00": 1}
    days = compute_kpis(records, by=GroupBy.DAY, tz=SHANGHAI).groups
    assert {key: k.arrivals for key, k in days.items()} == {"2024-03-10": 2, "2024-03-11": 1}
    own = compute_kpis(records, by=GroupBy.HOUR).groups
    assert list(own) == ["2024-03-10T01:00+00:00", "2024-03-10T16:00+00:00"]


def test_hours_in_europe_berlin_across_both_dst_changes() -> None:
    """Berlin: on 2024-03-31 the hour 02:00 is skipped (01:00+01:00 is followed by 03:00+02:00); on 2024-10-27
    the hour 02:00 happens twice and gives two groups, +02:00 before +01:00."""
    spring = [_at_utc("A001", "2024-03-31T00:30"), _at_utc("A002", "2024-03-31T01:10")]
    autumn = [
        _at_utc("B001", "2024-10-27T00:30"),
        _at_utc("B002", "2024-10-27T01:30"),
        _at_utc("B003", "2024-10-27T01:40"),
    ]
    hours = compute_kpis(spring + autumn, by=GroupBy.HOUR, tz=BERLIN).groups
    assert {key: k.arrivals for key, k in hours.items()} == {
        "2024-03-31T01:00+01:00": 1,
        "2024-03-31T03:00+02:00": 1,
        "2024-10-27T02:00+02:00": 1,
        "2024-10-27T02:00+01:00": 2,
    }
    assert list(hours) == [
        "2024-03-31T01:00+01:00",
        "2024-03-31T03:00+02:00",
        "2024-10-27T02:00+02:00",
        "2024-10-27T02:00+01:00",
    ]


def test_own_offsets_give_separate_hour_groups_sorted_by_time() -> None:
    """Without tz each timestamp keeps its own offset: the same instant at +08:00 and at UTC is two hour
    groups, listed in time order (UTC 00:00 = 08:00+08:00, before 09:00+08:00)."""
    a = replace(_at_utc("A001", "2024-03-10T00:10"), ticket="A001")
    b = TransactionRecord(
        ticket="A002", service=SIM, channel="kiosk", priority="normal", issued_at=at("09:10"), outcome=DIVERTED
    )
    c = TransactionRecord(
        ticket="A003", service=SIM, channel="kiosk", priority="normal", issued_at=at("08:30"), outcome=DIVERTED
    )
    assert list(compute_kpis([b, a, c], by=GroupBy.HOUR).groups) == [
        "2024-03-10T00:00+00:00",
        "2024-03-10T08:00+08:00",
        "2024-03-10T09:00+08:00",
    ]


def test_ticket_identity_uses_the_local_date_in_tz() -> None:
    """Two A001 tickets on consecutive Shanghai days, exported in UTC on the same UTC date: without tz they
    are one ticket with two issue times (bad), with tz=Asia/Shanghai two tickets."""
    records = [_at_utc("A001", "2024-03-10T00:30"), _at_utc("A001", "2024-03-10T23:30")]
    errors = record_errors(records)
    assert [(e.index, e.column, e.other) for e in errors] == [(1, "issued_at", 0)]
    assert record_errors(records, tz=SHANGHAI) == []
    assert compute_kpis(records, tz=SHANGHAI).total.arrivals == 2
    with pytest.raises(RecordError):
        compute_kpis(records)


def test_complex_coverage_only_when_complex_services_are_known() -> None:
    """pre_order_complex_coverage: done complex transactions with a pre-order ÷ done complex transactions;
    it is left out of the dict (not null) when the complex business types are not given."""
    report = compute_kpis(HISTORY, complex_services=frozenset({NEW}))
    assert report.total.pre_order_complex_coverage == 1.0  # A002 and A003b, both with a pre-order
    assert compute_kpis(HISTORY, complex_services=frozenset({SIM})).total.pre_order_complex_coverage == 0.0
    assert "pre_order_complex_coverage" in report_as_dict(report)["total"]  # type: ignore[operator]
    plain = report_as_dict(compute_kpis(HISTORY))
    assert "pre_order_complex_coverage" not in plain["total"]  # type: ignore[operator]
    assert "groups" not in plain


def test_workload_cv_of_equal_agents_is_zero() -> None:
    """Two agents with the same number of done transactions: coefficient of variation 0."""
    records = [
        rec("B001", SIM, "10:00", DONE, called_at="10:01", ended_at="10:02", agent="x"),
        rec("B002", SIM, "10:00", DONE, called_at="10:01", ended_at="10:02", agent="y"),
    ]
    assert compute_kpis(records).total.workload_cv == 0.0


# --- percentiles -----------------------------------------------------------------------------------------


def test_percentile_linear_hand_values() -> None:
    """numpy's linear rule by hand: n = 6 gives h = 4.5 (halfway between x4 and x5); n = 11 gives h = 9 (x9);
    n = 1 gives the only value; the median of an even count is the mean of the two middle values."""
    assert percentile_linear([10, 20, 30, 40, 50, 70], 0.9) == 60.0
    assert percentile_linear(list(range(0, 110, 10)), 0.9) == 90.0
    assert percentile_linear([42.0], 0.9) == 42.0
    assert percentile_linear([1.0, 2.0, 4.0, 8.0], 0.5) == 3.0
    assert percentile_linear([1.0, 2.0], 1.0) == 2.0 and percentile_linear([1.0, 2.0], 0.0) == 1.0
    with pytest.raises(ValueError):
        percentile_linear([], 0.5)


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=1, max_size=60))
def test_percentile_linear_is_numpys_default_to_the_last_bit(values: list[float]) -> None:
    """For any sample, p50 and p90 are exactly numpy.percentile's floats (method="linear"), and p90 is
    statistics.quantiles(method="inclusive")'s decile up to rounding."""
    np = pytest.importorskip("numpy")
    ordered = sorted(values)
    assert percentile_linear(ordered, 0.9) == float(np.percentile(values, 90))
    assert percentile_linear(ordered, 0.5) == float(np.percentile(values, 50))
    if len(values) > 1:
        decile = statistics.quantiles(values, n=10, method="inclusive")[8]
        assert math.isclose(percentile_linear(ordered, 0.9), decile, rel_tol=1e-12, abs_tol=1e-9)


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "column", "fragment"),
    [
        (rec("C1", SIM, "10:00", DONE, called_at="09:59", ended_at="10:05"), "called_at", "before issued_at"),
        (rec("C1", SIM, "10:00", DONE, called_at="10:01", ended_at="10:00:30"), "ended_at", "before called_at"),
        (rec("C1", SIM, "10:00", DONE, called_at="10:01", arrived_at="10:03", operation_at="10:02", ended_at="10:05"),
         "operation_at", "before arrived_at"),
        (rec("C1", SIM, "10:00", DONE, ended_at="10:05"), "called_at", "empty on a done row"),
        (rec("C1", SIM, "10:00", DONE, called_at="10:01"), "ended_at", "empty on a done row"),
        (rec("C1", SIM, "10:00", DONE, called_at="10:01", ended_at="10:02", limit_minutes=None),
         "limit_minutes", "empty"),
        (rec("C1", SIM, "10:00", NO_SHOW), "called_at", "empty on a no_show row"),
        (rec("C1", SIM, "10:00", NO_SHOW, called_at="10:01", arrived_at="10:02"), "arrived_at", "never came"),
        (rec("C1", SIM, "10:00", DIVERTED, called_at="10:01"), "called_at", "never called"),
        (rec("C1", SIM, "10:00", CANCELLED, arrived_at="10:01"), "arrived_at", "called_at is empty"),
        (rec("C1", SIM, "10:00", NO_SHOW, called_at="10:01", rating=2), "rating", "only a done row"),
        (rec("C1", SIM, "10:00", DONE, called_at="10:01", ended_at="10:02", rating=4), "rating", "1, 2 or 3"),
        (rec("C1", "", "10:00", DIVERTED), "service", "empty"),
        (replace(rec("C1", SIM, "10:00", DIVERTED), issued_at=datetime(2024, 3, 10, 10)), "issued_at", "offset"),  # noqa: DTZ001
        (rec("C1", SIM, "10:00", DIVERTED, quoted_wait_seconds=-1.0), "quoted_wait_seconds", ">= 0"),
    ],
)  # fmt: skip
def test_record_problem_names_the_column(record: TransactionRecord, column: str, fragment: str) -> None:
    """Each inconsistent record is refused with the column at fault and a message saying why."""
    problem = record_problem(record)
    assert problem is not None
    assert problem[0] == column
    assert fragment in problem[1]


def test_every_history_record_is_consistent() -> None:
    """The fixed history passes validation (so the tests above test figures, not errors)."""
    assert record_errors(HISTORY) == []


def test_cross_row_errors_name_the_other_row() -> None:
    """Rows of one ticket must agree on channel; a diverted ticket has one row; one row without a call."""
    base = rec("D1", SIM, "10:00", NO_SHOW, called_at="10:01")
    kiosk = replace(base, channel="kiosk")
    diverted = rec("D2", SIM, "10:00", DIVERTED)
    cancelled = rec("D3", SIM, "10:00", CANCELLED)
    errors = record_errors([base, kiosk, diverted, replace(diverted, outcome=CANCELLED), cancelled, cancelled])
    assert [(e.index, e.column, e.other) for e in errors] == [(1, "channel", 0), (3, "outcome", 2), (5, "called_at", 4)]


def test_kpis_fields_are_the_documented_json_keys() -> None:
    """The dict keys are Kpis' fields in order, and include every figure the issue requires of --json."""
    required = {
        "arrivals", "served", "no_show_rate", "cancel_rate", "diversion_share", "wait_mean_seconds",
        "wait_p90_seconds", "wait_within_10min_share", "handling_mean_seconds", "service_mean_seconds",
        "over_limit_share", "satisfaction_share",
    }  # fmt: skip
    keys = list(kpis_as_dict(compute_kpis(HISTORY).total, complex_known=True))
    assert keys == list(Kpis.__dataclass_fields__)
    assert required <= set(keys)
