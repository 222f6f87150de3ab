"""``hallops kpi FILE.csv [--by hour|day|service|agent|counter|channel] [--tz ZONE] [--json]``.

Computes the KPIs of docs/kpis.md from a history file with the Django-free core (``hallops.cli`` dispatches
it before Django is imported, so it needs no database). Any bad row: exit status 1, nothing on stdout, and
on stderr one ``line N: column: message`` per bad row (N the physical line, the header being line 1).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from json.encoder import encode_basestring
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hallops.core.history_csv import HistoryError, decode_history, parse_history, read_history_table
from hallops.core.kpi import (
    GroupBy,
    KpiReport,
    Kpis,
    OverLimit,
    compute_kpis,
    compute_kpis_table,
    kpis_as_dict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

#: at most this many bad rows are listed on stderr (then how many more there are)
MAX_ERRORS_SHOWN = 100

#: (figure, heading, kind) of the group table; kind: n count, s seconds, f fraction
_TABLE = (
    ("arrivals", "arrivals", "n"),
    ("served", "served", "n"),
    ("no_show_rate", "no-show", "f"),
    ("cancel_rate", "cancel", "f"),
    ("diversion_share", "diverted", "f"),
    ("wait_mean_seconds", "wait mean", "s"),
    ("wait_p90_seconds", "wait p90", "s"),
    ("wait_within_10min_share", "wait<=10m", "f"),
    ("handling_mean_seconds", "handling", "s"),
    ("service_mean_seconds", "service", "s"),
    ("over_limit_share", "over limit", "f"),
    ("satisfaction_share", "satisfied", "f"),
)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _shown(value: object, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "f" and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if kind == "s" and isinstance(value, float):
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes}:{seconds:02d}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _kind(name: str) -> str:
    if name.endswith("_seconds"):
        return "s"
    if name.endswith(("_rate", "_share", "_coverage")):
        return "f"
    return "n"


def _table(report: KpiReport) -> str:
    """The total as a two-column list (times as m:ss, shares as percentages), then the over-limit
    transactions, then with ``--by`` one row per group."""
    total = kpis_as_dict(report.total, complex_known=report.complex_known)
    del total["over_limit"]
    names = {name: name.removesuffix("_seconds") for name in total}
    width = max(len(name) for name in names.values())
    out = ["(times in minutes:seconds, shares in per cent; - where the denominator is empty)"]
    out += [f"{names[name]:<{width}}  {_shown(value, _kind(name))}" for name, value in total.items()]
    out.append("")
    out.append(f"over-limit transactions: {len(report.total.over_limit)}")
    for o in report.total.over_limit:
        out.append(
            f"  {o.ticket}  {o.service}  counter {o.counter or '-'}  agent {o.agent or '-'}  "
            f"called {o.called_at.isoformat()}  service {_shown(o.service_seconds, 's')}"
            f" > limit {_shown(o.limit_seconds, 's')}"
        )
    if report.by is not None:
        out.append("")
        out.append(_group_table(report.by, report.groups))
    return "\n".join(out)


def _group_table(by: GroupBy, groups: Mapping[str, Kpis]) -> str:
    rows = [[by.value] + [heading for _, heading, _ in _TABLE]]
    for key, k in groups.items():
        rows.append([key or "-"] + [_shown(getattr(k, name), kind) for name, _, kind in _TABLE])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def report_json(report: KpiReport) -> str:
    """``json.dumps(report_as_dict(report), ensure_ascii=False)``, the same text, with the over-limit lists
    (most of the output of a big history) written directly instead of as one dict per transaction."""
    token = secrets.token_hex(8)
    lists: list[str] = []

    def skeleton(k: Kpis) -> dict[str, object]:
        values = kpis_as_dict(replace(k, over_limit=()), complex_known=report.complex_known)
        values["over_limit"] = f"\x00{token}:{len(lists)}\x00"
        lists.append(_over_limit_json(k.over_limit))
        return values

    out: dict[str, object] = {"total": skeleton(report.total)}
    if report.by is not None:
        out["groups"] = {key: skeleton(k) for key, k in report.groups.items()}
    text = json.dumps(out, ensure_ascii=False)
    return re.sub(rf'"\\u0000{token}:(\d+)\\u0000"', lambda m: lists[int(m[1])], text)


def _over_limit_json(items: Sequence[OverLimit]) -> str:
    """The JSON text json.dumps gives the list of ``kpi._over_limit_as_dict`` of ``items``."""
    text = encode_basestring

    def number(value: float) -> str:
        if type(value) is float and math.isfinite(value):
            return float.__repr__(value)
        if type(value) is int:
            return int.__repr__(value)
        return json.dumps(value)

    return (
        "["
        + ", ".join(
            f'{{"ticket": {text(o.ticket)}, "issued_at": {text(o.issued_at.isoformat())}, '
            f'"service": {text(o.service)}, "counter": {text(o.counter)}, "agent": {text(o.agent)}, '
            f'"called_at": {text(o.called_at.isoformat())}, "service_seconds": {number(o.service_seconds)}, '
            f'"limit_seconds": {number(o.limit_seconds)}}}'
            for o in items
        )
        + "]"
    )


def _run(argv: Sequence[str]) -> int:
    parser = _Parser(prog="hallops kpi", description="KPIs of a history file (docs/kpis.md).")
    parser.add_argument("file", metavar="FILE.csv", help="one row per transaction (columns: docs/kpis.md)")
    parser.add_argument("--by", choices=[g.value for g in GroupBy], help="also per group")
    parser.add_argument(
        "--tz", metavar="ZONE", help="time zone for hours, days and ticket dates (default: each timestamp's offset)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    tz = None
    if args.tz is not None:
        try:
            tz = ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise _UsageError(f"--tz: unknown time zone {args.tz!r}") from None
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise _UsageError(f"cannot read {args.file}: {error.strerror}") from None
    by = GroupBy(args.by) if args.by is not None else None
    table = read_history_table(data, tz=tz)  # the fast reader; None: the file needs parse_history
    if table is not None:
        report = compute_kpis_table(table, by=by)
    else:
        try:
            history = parse_history(decode_history(data), tz=tz)
        except HistoryError as error:
            shown = error.errors[:MAX_ERRORS_SHOWN]
            for line_error in shown:
                print(line_error, file=sys.stderr)
            if len(error.errors) > len(shown):
                print(f"... and {len(error.errors) - len(shown)} more bad rows", file=sys.stderr)
            return 1
        report = compute_kpis(history.records, by=by, tz=tz, checked=True)  # parse_history checked them
    if args.json:
        print(report_json(report))
    else:
        print(_table(report))
    return 0


def main(argv: list[str]) -> int:
    """Exit status 0, or 1 on bad input (usage, unreadable file, bad rows)."""
    # A short-lived command that makes many objects and frees none of them before it ends: the cyclic garbage
    # collector would only walk them again and again (a third of the time on a million rows).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(argv)
    except _UsageError as error:
        print(f"hallops kpi: {error}", file=sys.stderr)
        return 1
    finally:
        if collecting:
            gc.enable()
