"""Reads for modes and rules: the hall's effects (the one read of every screen), its live state, its rules."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, F, Q

from hallops.catalog.models import BusinessType
from hallops.core.modes import DEFAULT_CONFIG, Mode, ModeConfig, parse_mode_config
from hallops.core.rules import CounterInfo, Effects, HallState, Line, Rule, parse_rule
from hallops.hall.models import Outcome, ServiceTransaction, Ticket
from hallops.hall.selectors import counters_for_hall, queue_summary
from hallops.organisation.models import CounterStatus, CounterZone, Hall
from hallops.rules.models import MODE_CHOICES, ModeChange, ProcessState, RuleFiring, RuleVersion
from hallops.rules.models import ModeConfig as ModeConfigRow
from hallops.rules.models import Rule as RuleRow

log = logging.getLogger("hallops.rules")
ARRIVALS_WINDOW = dt.timedelta(hours=1)
HANDLING_WINDOW = dt.timedelta(hours=2)
HANDLING_SAMPLES_MIN = 3
UNMANAGED = Effects()


def hall_effects(hall: Hall | int) -> Effects:
    """What the rules have switched on in the hall now (one indexed read); unmanaged halls get no effects."""
    hall_id = hall if isinstance(hall, int) else hall.pk
    data = ProcessState.objects.filter(hall_id=hall_id).values_list("effects", flat=True).first()
    if not data:
        return UNMANAGED
    return Effects.from_json(data)


def catalog_codes() -> tuple[list[str], list[str]]:
    """Active business type codes, and those that are pre-acceptance-capable (what rules may name)."""
    rows = list(BusinessType.objects.filter(active=True).values_list("code", "pre_acceptance"))
    return [code for code, _ in rows], [code for code, pre in rows if pre]


ZONES = [z.value for z in CounterZone]


def rule_parse(definition: Any, *, ref: int | None = None) -> Rule:
    """Parse a stored or submitted definition against the current catalog and zones (raises ``RuleError``)."""
    services, pre = catalog_codes()
    return parse_rule(definition, ref=ref, services=services, preacceptance_services=pre, zones=ZONES)


def hall_mode_config(hall: Hall) -> tuple[ModeConfig, bool]:
    """The hall's parsed mode configuration and whether the rules engine runs it (defaults when it has none)."""
    row = ModeConfigRow.objects.filter(hall=hall).first()
    if row is None:
        return parse_mode_config(DEFAULT_CONFIG), False
    return parse_mode_config(row.config), row.enabled


def hall_rules(hall: Hall) -> list[Rule]:
    """The hall's enabled rules at their current versions, in order; each carries its version id as ``ref``.

    A stored version that no longer parses (e.g. a business type was removed from the catalog since) is left out
    rather than failing the whole hall; the admin shows it as invalid.
    """
    versions = (
        RuleVersion.objects.filter(rule__hall=hall, rule__enabled=True, rule__current_id=F("id"))
        .select_related("rule")
        .order_by("rule__order", "rule__id")
    )
    rules = []
    for version in versions:
        try:
            rules.append(rule_parse(version.definition, ref=version.pk))
        except ValueError as exc:
            log.warning("rule %s v%s of hall %s is invalid now: %s", version.rule_id, version.number, hall.code, exc)
    return rules


def hall_live_state(*, hall: Hall, at: dt.datetime, mode: Mode) -> HallState:
    """The live state the rules see: queue lines (with the one wait estimator), counters, recent traffic."""
    summary = queue_summary(hall=hall, at=at)
    lines = tuple(
        Line(
            service=ln.service.code,
            waiting=ln.waiting,
            estimated_wait_seconds=float(ln.estimated_wait_seconds) if ln.estimated_wait_seconds is not None else None,
        )
        for ln in summary
    )
    counters = tuple(
        CounterInfo(
            number=c.number,
            zone=c.zone,
            open=c.status == CounterStatus.OPEN,
            services=frozenset(s.code for s in c.services.all()),
        )
        for c in counters_for_hall(hall=hall)
    )
    arrivals = Ticket.objects.filter(
        hall=hall, parent__isnull=True, issued_at__gt=at - ARRIVALS_WINDOW, issued_at__lte=at
    ).count()
    recent = ServiceTransaction.objects.filter(
        hall=hall, done_at__gt=at - HANDLING_WINDOW, done_at__lte=at, outcome=Outcome.COMPLETED
    ).filter(~Q(handling_seconds=None))
    handling: float | None = None
    if recent.count() >= HANDLING_SAMPLES_MIN:
        value = recent.aggregate(avg=Avg("handling_seconds"))["avg"]
        handling = float(value) if value is not None else None
    if handling is None:
        # Too few recent transactions: the business types' limits, weighted by the people waiting for them.
        weights = [(ln.waiting, ln.service.limit_seconds) for ln in summary if ln.waiting]
        total = sum(w for w, _ in weights)
        handling = sum(w * limit for w, limit in weights) / total if total else None
    return HallState(
        mode=mode,
        lines=lines,
        counters=counters,
        target_wait_seconds=float(hall.wait_target_minutes * 60),
        arrivals_per_hour=float(arrivals),
        handling_seconds=handling,
    )


# ---------------------------------------------------------------------------------------------- floor panel


@dataclass(frozen=True)
class FiringRow:
    rule: str
    mode_label: str
    version: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    cause: dict[str, Any]


@dataclass(frozen=True)
class ProcessPanel:
    managed: bool
    mode: str
    since: dt.datetime | None
    effects: Effects
    firings: list[FiringRow]
    changes: list[ModeChange]
    #: the business types of each effect by name, in catalog order: preacceptance, self_service, upselling
    labels: dict[str, list[str]]


PANEL_FIRINGS = 6
MODE_LABELS = dict(MODE_CHOICES)
PANEL_CHANGES = 4


def process_panel(*, hall: Hall) -> ProcessPanel:
    """The floor view's process panel: mode, since when, active effects, the latest firings and mode changes."""
    state = ProcessState.objects.filter(hall=hall).first()
    firings = [
        FiringRow(
            rule=f.version.rule.name,
            mode_label=str(MODE_LABELS.get(f.cause.get("mode", ""), f.cause.get("mode", ""))),
            version=f.version.number,
            started_at=f.started_at,
            ended_at=f.ended_at,
            cause=f.cause,
        )
        for f in RuleFiring.objects.filter(hall=hall)
        .select_related("version__rule")
        .order_by("-started_at", "-id")[:PANEL_FIRINGS]
    ]
    changes = list(ModeChange.objects.filter(hall=hall).order_by("-at", "-id")[:PANEL_CHANGES])
    if state is None:
        return ProcessPanel(False, "", None, UNMANAGED, firings, changes, {})
    effects = Effects.from_json(state.effects)
    catalog = list(BusinessType.objects.order_by("sort_order", "code"))

    def named(codes: frozenset[str]) -> list[str]:
        known = [b.label for b in catalog if b.code in codes]
        return known + sorted(codes - {b.code for b in catalog})

    labels = {
        "preacceptance": named(effects.preacceptance),
        "self_service": named(effects.self_service),
        "upselling": named(effects.upselling_services),
    }
    return ProcessPanel(effects.managed, state.mode, state.since, effects, firings, changes, labels)


def rule_current_versions(*, hall: Hall) -> list[RuleRow]:
    return list(RuleRow.objects.filter(hall=hall).select_related("current").order_by("order", "id"))
