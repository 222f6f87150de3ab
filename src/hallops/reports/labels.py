"""How the KPI figures are named and shown to people: the dashboard, the comparison and the reports share it.

The figures themselves (keys, formulas, units) are docs/kpis.md; here they get a label in the page's language
and a display format. Seconds read as m:ss (h:mm:ss from an hour), shares as percentages with one decimal.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hallops.core.compare import FIGURE_KINDS, FigureKind

FIGURE_LABELS: dict[str, Promise] = {
    "arrivals": _("Arrivals"),
    "called": _("Called"),
    "served_tickets": _("Customers served"),
    "no_shows": _("No-shows"),
    "cancelled": _("Cancelled"),
    "diverted": _("Sent to self-service"),
    "no_show_rate": _("No-show rate"),
    "cancel_rate": _("Cancel rate"),
    "diversion_share": _("Diversion share"),
    "wait_mean_seconds": _("Mean wait"),
    "wait_median_seconds": _("Median wait"),
    "wait_p90_seconds": _("Wait, 90th percentile"),
    "wait_within_10min_share": _("Called within 10 min"),
    "quoted_wait_mae_seconds": _("Quoted wait error (mean absolute)"),
    "served": _("Transactions done"),
    "walk_mean_seconds": _("Mean walk to the counter"),
    "communication_mean_seconds": _("Mean communication time"),
    "operation_mean_seconds": _("Mean operation time"),
    "handling_mean_seconds": _("Mean handling time"),
    "service_mean_seconds": _("Mean service time"),
    "over_limit_share": _("Over-limit share"),
    "over_limit_count": _("Over the limit"),
    "pre_order_share": _("Pre-order share"),
    "handling_mean_with_pre_order_seconds": _("Handling with a pre-order"),
    "handling_mean_without_pre_order_seconds": _("Handling without a pre-order"),
    "pre_order_complex_coverage": _("Pre-order coverage of complex business"),
    "rated": _("Rated transactions"),
    "rating_rate": _("Rating rate"),
    "satisfaction_share": _("Satisfied or better"),
    "agents": _("Agents"),
    "workload_cv": _("Workload imbalance (CV)"),
    "utilisation": _("Counter utilisation"),
}

UNIT_LABELS: dict[FigureKind, Promise] = {
    FigureKind.COUNT: _("count"),
    FigureKind.SHARE: _("percent"),
    FigureKind.SECONDS: _("min:s"),
    FigureKind.RATIO: _("ratio"),
}


def figure_kind(name: str) -> FigureKind:
    """The kind of a figure (utilisation is a share; an unknown key is shown as a count)."""
    if name in ("utilisation", "within_target"):
        return FigureKind.SHARE
    return FIGURE_KINDS.get(name, FigureKind.COUNT)


def figure_label(name: str) -> str:
    return str(FIGURE_LABELS.get(name, name))


def duration(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour; a negative duration keeps its sign."""
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    h, m, sec = s // 3600, (s % 3600) // 60, s % 60
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def format_figure(name: str, value: object, *, signed: bool = False) -> str:
    """A figure for people: "—" when it is not defined (an empty denominator)."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return str(len(value))
    x = float(value)  # type: ignore[arg-type]
    sign = "+" if signed and x > 0 else ""
    kind = figure_kind(name)
    if kind is FigureKind.SECONDS:
        return sign + duration(x)
    if kind is FigureKind.SHARE:
        return f"{sign}{x * 100:.1f}%"
    if kind is FigureKind.RATIO:
        return f"{sign}{x:.2f}"
    return f"{sign}{x:.0f}" if x == int(x) else f"{sign}{x:.2f}"


#: the columns of the grouped tables (by business type, hour, day, agent), in order
GROUP_COLUMNS: tuple[str, ...] = (
    "arrivals",
    "served",
    "wait_mean_seconds",
    "wait_p90_seconds",
    "wait_within_10min_share",
    "handling_mean_seconds",
    "service_mean_seconds",
    "over_limit_share",
    "no_show_rate",
    "diversion_share",
    "pre_order_share",
    "satisfaction_share",
)

AGENT_COLUMNS: tuple[str, ...] = (
    "served",
    "handling_mean_seconds",
    "service_mean_seconds",
    "over_limit_count",
    "over_limit_share",
    "pre_order_share",
    "rated",
    "satisfaction_share",
    "utilisation",
)


def figure_value(figures: dict[str, object], name: str) -> object:
    """A figure of a KPI dict (``kpis_as_dict``); ``over_limit_count`` is the length of its over-limit list; a
    figure the dict does not have (utilisation without counter intervals) is None."""
    if name == "over_limit_count":
        over = figures.get("over_limit")
        return len(over) if isinstance(over, list | tuple) else None
    return figures.get(name)
