"""What the planning and what-if pages show, read from a stored plan (and, for past days, the visit records):
summary cards, the charts' data, the gaps, the what-if form's starting values and a run's result table."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hallops.core.compare import FigureKind
from hallops.organisation.models import Hall
from hallops.planning import selectors
from hallops.planning.models import Plan, RunPreset, WhatIfRun
from hallops.planning.scenario import SLOT_MINUTES, baseline_of
from hallops.reports.labels import figure_kind, figure_label, format_figure

ROLE_LABELS = {
    "counter": gettext_lazy("Counters"),
    "preaccept": gettext_lazy("Pre-acceptance clerks"),
    "kiosk": gettext_lazy("Kiosk assistants"),
}
ROLE_COLOURS = {"counter": "#0b5cad", "preaccept": "#1a7f37", "kiosk": "#b76e00"}
DAY_KINDS = {
    "workday": gettext_lazy("working day"),
    "weekend": gettext_lazy("weekend"),
    "holiday": gettext_lazy("public holiday"),
    "makeup_workday": gettext_lazy("make-up working day (调休)"),
}
SIDE_LABELS = {
    "plan": gettext_lazy("The plan"),
    "what_if": gettext_lazy("Your changes"),
    "single_counter_zone": gettext_lazy("Single counter zone (before)"),
    "four_zones": gettext_lazy("Four zones (after)"),
}
#: the what-if table: KPI figures (core.kpi), then the simulator's own figures ("figure:" prefix)
RESULT_ROWS = (
    "arrivals",
    "served_tickets",
    "wait_mean_seconds",
    "wait_p90_seconds",
    "wait_within_10min_share",
    "cancel_rate",
    "no_show_rate",
    "diversion_share",
    "handling_mean_seconds",
    "over_limit_share",
    "pre_order_share",
    "figure:abandonment_share",
    "figure:utilisation_counters",
    "figure:utilisation_preacceptance",
    "figure:utilisation_self_service",
    "figure:last_service_end_minutes_after_close",
)
FIGURE_LABELS = {
    "abandonment_share": gettext_lazy("Customers giving up (of counter tickets)"),
    "utilisation_counters": gettext_lazy("Counter utilisation"),
    "utilisation_preacceptance": gettext_lazy("Pre-acceptance clerks busy"),
    "utilisation_self_service": gettext_lazy("Kiosk assistants busy"),
    "last_service_end_minutes_after_close": gettext_lazy("Last customer served, minutes after closing"),
}
#: for each row, whether a larger value is better (None: neither)
BETTER_HIGHER = {
    "wait_mean_seconds": False,
    "wait_p90_seconds": False,
    "wait_within_10min_share": True,
    "cancel_rate": False,
    "no_show_rate": False,
    "over_limit_share": False,
    "figure:abandonment_share": False,
    "figure:last_service_end_minutes_after_close": False,
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def _minutes(label: str) -> int:
    h, m = (int(x) for x in label.split(":"))
    return h * 60 + m


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def plan_summary(plan: Plan) -> list[dict[str, Any]]:
    """The cards at the top of the planning page."""
    d = plan.data
    hours = d["hours"]
    req = d["requirement"]
    cards = [
        {"key": "arrivals", "label": _("Arrivals forecast"), "text": f"{plan.forecast_arrivals:.0f}"},
        {
            "key": "counter_hours",
            "label": _("Counter-hours required"),
            "text": f"{hours['counters']:g}",
            "hint": _("Erlang alone: %(h)s") % {"h": f"{hours['erlang_counters']:g}"},
        },
        {"key": "clerk_hours", "label": _("Pre-acceptance clerk-hours"), "text": f"{hours['clerks']:g}"},
        {"key": "assistant_hours", "label": _("Kiosk assistant-hours"), "text": f"{hours['assistants']:g}"},
        {"key": "staff_hours", "label": _("Staff-hours rostered"), "text": f"{plan.staff_hours:g}"},
        {
            "key": "uncovered",
            "label": _("Half hours short of staff"),
            "text": str(plan.uncovered),
            "status": "bad" if plan.uncovered else "ok",
            "hint": _("head-half-hours the roster cannot cover"),
        },
    ]
    if "all_met" in req:
        met = sum(1 for m in req["met"] if m)
        cards.append(
            {
                "key": "targets",
                "label": _("Half hours meeting the targets"),
                "text": f"{met}/{len(req['met'])}",
                "status": "ok" if req["all_met"] else "bad",
                "hint": _("in simulation, with the staff required"),
            }
        )
    return cards


def _day_series(day_48: list[float] | None, opens: int, slots: int) -> list[float | None]:
    if day_48 is None:
        return [None] * slots
    first = opens // SLOT_MINUTES
    return [day_48[first + j] for j in range(slots)]


def plan_charts(hall: Hall, plan: Plan, today: dt.date) -> dict[str, Any]:
    """The charts' data (json_script): forecast against actual by day and by half hour, the requirement by
    half hour per zone with the staff rostered, and the roster as a Gantt chart."""
    d = plan.data
    req = d["requirement"]
    labels = req["slots"]
    opens = _minutes(d["window"]["start"])
    slots = len(labels)
    actual = selectors.actual_arrivals(hall, plan.day) if plan.day <= today else None
    last_week = selectors.actual_arrivals(hall, plan.day - dt.timedelta(days=7))
    recent = d["forecast"]["recent"]
    by_day = {
        "days": [r["day"] for r in recent["days"]] + [plan.day.isoformat()],
        "forecast": [round(r["forecast"], 1) for r in recent["days"]] + [round(plan.forecast_arrivals, 1)],
        "actual": [r["actual"] for r in recent["days"]] + [round(math.fsum(actual), 1) if actual is not None else None],
        "labels": {"forecast": _("Forecast the evening before"), "actual": _("Actual"), "count": _("arrivals")},
    }
    by_slot = {
        "slots": labels,
        "forecast": [round(x, 2) for x in d["forecast"]["by_slot"]],
        "actual": _day_series(actual, opens, slots),
        "last_week": _day_series(last_week, opens, slots),
        "labels": {
            "forecast": _("Forecast"),
            "actual": _("Actual"),
            "last_week": _("Same weekday last week"),
            "count": _("arrivals per half hour"),
        },
    }
    roster = d.get("roster") or {}
    coverage = roster.get("coverage", {})
    requirement = {
        "slots": labels,
        "series": [
            {"key": "counters", "role": "counter", "name": role_label("counter"), "data": req["counters"]},
            {"key": "clerks", "role": "preaccept", "name": role_label("preaccept"), "data": req["clerks"]},
            {"key": "assistants", "role": "kiosk", "name": role_label("kiosk"), "data": req["assistants"]},
        ],
        "erlang": {"name": _("Counters by Erlang alone"), "data": req["erlang_counters"]},
        "rostered": [
            {
                "role": role,
                "name": _("%(role)s rostered") % {"role": role_label(role)},
                "data": [c["rostered"] for c in cells],
            }
            for role, cells in coverage.items()
        ],
        "colours": ROLE_COLOURS,
        "labels": {"heads": _("people")},
    }
    staff_names = {s["id"]: s["name"] for s in d.get("staff", [])}
    shifts = roster.get("shifts", [])
    gantt = {
        "staff": [s["staff"] for s in shifts],
        "names": [staff_names.get(s["staff"], s["staff"]) for s in shifts],
        "bars": [
            {"row": i, "start": w["start"], "end": w["end"], "role": w["role"], "label": role_label(w["role"])}
            for i, s in enumerate(shifts)
            for w in s["work"]
        ]
        + [
            {"row": i, "start": s["break"][0], "end": s["break"][1], "role": "break", "label": _("Break")}
            for i, s in enumerate(shifts)
            if s["break"]
        ],
        "start": d["window"]["start"],
        "end": d["window"]["end"],
        "colours": {**ROLE_COLOURS, "break": "#c9ced6"},
    }
    return {"by_day": by_day, "by_slot": by_slot, "requirement": requirement, "gantt": gantt}


def forecast_accuracy(plan: Plan) -> dict[str, str] | None:
    """The recent forecasts' errors as percentages (None without recent days)."""
    recent = plan.data["forecast"]["recent"]
    if recent.get("wape") is None:
        return None
    return {
        "wape": format_figure("diversion_share", recent["wape"]),
        "naive": format_figure("diversion_share", recent["naive_wape"]),
        "daily": format_figure("diversion_share", recent["daily_wape"]),
    }


def gantt_legend() -> list[tuple[str, str, str]]:
    """(role, label, colour) of the roster chart's bars."""
    rows = [(role, role_label(role), colour) for role, colour in ROLE_COLOURS.items()]
    return [*rows, ("break", _("Break"), "#c9ced6")]


def plan_gaps(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "start": g["start"],
            "end": g["end"],
            "role": g["role"],
            "label": role_label(g["role"]),
            "missing": g["missing"],
        }
        for g in plan.data.get("gaps", [])
    ]


def requirement_rows(plan: Plan, actual: list[float] | None = None) -> list[dict[str, Any]]:
    """One row per half hour: forecast arrivals, counters (and Erlang's), clerks, assistants, rostered, and
    the simulated figures when the plan was checked by simulation."""
    d = plan.data
    req = d["requirement"]
    coverage = (d.get("roster") or {}).get("coverage", {})
    rostered = {role: [c["rostered"] for c in cells] for role, cells in coverage.items()}
    rows = []
    for j, label in enumerate(req["slots"]):
        level = req.get("service_level", [None] * len(req["slots"]))[j]
        rows.append(
            {
                "slot": label,
                "arrivals": _number(d["forecast"]["by_slot"][j]),
                "counters": req["counters"][j],
                "erlang": req["erlang_counters"][j],
                "clerks": req["clerks"][j],
                "assistants": req["assistants"][j],
                "rostered": " / ".join(
                    str(rostered[r][j]) if r in rostered else "–" for r in ("counter", "preaccept", "kiosk")
                ),
                "service_level": format_figure("wait_within_10min_share", level) if level is not None else "—",
                "met": req.get("met", [True] * len(req["slots"]))[j],
            }
        )
    return rows


# ------------------------------------------------------------------------------------------------ what-if


def whatif_initial(plan: Plan) -> dict[str, Any]:
    """The what-if form's starting values: the plan's own."""
    b = baseline_of(plan.data["scenario"])
    clerk_slots = [j for j, n in enumerate(b.clerks) if n > 0]
    opens = _minutes(b.labels[0])
    closes = opens + len(b.labels) * SLOT_MINUTES
    initial: dict[str, Any] = {
        "preset": RunPreset.CUSTOM.value,
        "pre_on": bool(clerk_slots),
        "pre_start": b.labels[clerk_slots[0]] if clerk_slots else b.labels[0],
        "pre_end": _clock(opens + (clerk_slots[-1] + 1) * SLOT_MINUTES) if clerk_slots else _clock(closes),
        "pre_clerks": max(b.clerks) if clerk_slots else 1,
        "assistants": max(b.assistants) if b.assistants else 0,
        "kiosk_share": round(b.kiosk_share * 100, 1) if b.kiosk_share is not None else 0.0,
        "replications": 10,
        "seed": 1,
    }
    for j, n in enumerate(b.counters):
        initial[f"counters_{j}"] = n
    for code, minutes in b.service_minutes.items():
        initial[f"svc_{code}"] = round(minutes, 2)
    return initial


def _is_share(name: str) -> bool:
    if name.startswith("figure:"):
        key = name.removeprefix("figure:")
        return key.startswith("utilisation") or key.endswith("_share")
    return figure_kind(name) is FigureKind.SHARE


def _format(name: str, value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    if _is_share(name):
        return format_figure("diversion_share", value, signed=signed)  # shown as a percentage
    if name.startswith("figure:"):
        return ("+" if signed and value > 0 else "") + f"{value:.1f}"
    if figure_kind(name) is FigureKind.COUNT:  # a mean over the replications: one decimal
        return ("+" if signed and value > 0 else "") + f"{value:.1f}"
    return format_figure(name, value, signed=signed)


def _interval_text(name: str, value: dict[str, Any] | None, *, signed: bool = False) -> tuple[str, str]:
    """The mean, and its 95% interval as "low … high" ("" without one)."""
    if value is None:
        return "—", ""
    low, high = value.get("ci95_low"), value.get("ci95_high")
    if not signed and low is not None and high is not None and _is_share(name):
        low, high = max(0.0, low), min(1.0, high)  # a share's interval, cut to what a share can be
    ci = (
        f"{_format(name, low, signed=signed)} … {_format(name, high, signed=signed)}"
        if low is not None and high is not None
        else ""
    )
    return _format(name, value["mean"], signed=signed), ci


def run_rows(run: WhatIfRun) -> list[dict[str, Any]]:
    """The result table: each figure on both sides (mean, 95% interval over the replications) and the
    difference b − a over the same customers (paired, with its interval; marked when it excludes 0)."""
    result = run.result or {}
    a, b, diff = result.get("a", {}), result.get("b", {}), result.get("difference", {})
    rows = []
    for name in RESULT_ROWS:
        if name.startswith("figure:"):
            key = name.removeprefix("figure:")
            va, vb = a.get("figures", {}).get(key), b.get("figures", {}).get(key)
            label = str(FIGURE_LABELS.get(key, key))
        else:
            va, vb = a.get("kpis", {}).get(name), b.get("kpis", {}).get(name)
            label = figure_label(name)
        if va is None and vb is None:
            continue
        d = diff.get(name)
        a_text, a_ci = _interval_text(name, va)
        b_text, b_ci = _interval_text(name, vb)
        d_text, d_ci = _interval_text(name, d, signed=True)
        verdict = ""
        low = d.get("ci95_low") if d is not None else None
        high = d.get("ci95_high") if d is not None else None
        if d is not None and low is not None and high is not None and (low > 0 or high < 0):
            higher = BETTER_HIGHER.get(name)
            verdict = "changed" if higher is None else ("better" if (d["mean"] > 0) == higher else "worse")
        rows.append(
            {
                "key": name,
                "label": label,
                "a": a_text,
                "a_ci": a_ci,
                "b": b_text,
                "b_ci": b_ci,
                "difference": d_text,
                "difference_ci": d_ci,
                "verdict": verdict,
            }
        )
    return rows


def run_hours(run: WhatIfRun) -> list[dict[str, Any]]:
    result = run.result or {}
    rows = []
    for key, label in (
        ("counters", _("Counter-hours open")),
        ("clerks", _("Pre-acceptance clerk-hours")),
        ("assistants", _("Kiosk assistant-hours")),
    ):
        a = result.get("a", {}).get("hours", {}).get(key)
        b = result.get("b", {}).get("hours", {}).get(key)
        if a is None or b is None:
            continue
        rows.append({"key": key, "label": label, "a": f"{a:g}", "b": f"{b:g}", "difference": f"{b - a:+g}"})
    return rows


def side_labels(run: WhatIfRun) -> tuple[str, str]:
    sides = run.scenarios or {}
    return (
        str(SIDE_LABELS.get(sides.get("a", {}).get("label", ""), "A")),
        str(SIDE_LABELS.get(sides.get("b", {}).get("label", ""), "B")),
    )
