"""Writes for modes and rules: mode configuration, rule versions, and the hall's evaluation.

``hall_evaluate`` is the engine's one step for a hall: it reads the live state through the hall's selectors,
decides the mode (``core.modes``), evaluates the rules (``core.rules``), applies the effects, records what
changed (rule firings with their cause, mode changes) and appends a ``process.changed`` hall event so that
screens update live, all in one transaction. Nothing is written when nothing changed, so running it every
minute (``tasks.evaluate_halls``) costs reads only in a steady hall.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hallops.alerts.services import alert_clear, alert_raise
from hallops.audit.services import audit_record
from hallops.core.masking import mask_phone
from hallops.core.modes import Mode, ModeSignal, RuleError, mode_next, mode_signal, parse_mode_config
from hallops.core.rules import Effects, HallState, effects_from, evaluate
from hallops.core.states import TicketState
from hallops.errors import Invalid
from hallops.hall.events import event_record
from hallops.hall.models import Ticket
from hallops.hall.selectors import hall_local_day, ticket_wait_quote
from hallops.notifications.backends import notification_send
from hallops.organisation.models import Hall
from hallops.rules.models import ModeChange, ModeConfig, NearTurnNotice, ProcessState, RuleFiring, RuleVersion
from hallops.rules.models import Rule as RuleRow
from hallops.rules.selectors import hall_live_state, hall_mode_config, hall_rules, rule_parse

ALERT_KEY = "open_counters"
NEAR_TURN_BATCH = 200


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else timezone.now()


def _invalid(exc: RuleError, prefix: str) -> Invalid:
    where = f"{prefix}.{exc.path}" if exc.path else prefix
    return Invalid(exc.message, field=where, code="invalid_rule")


# ------------------------------------------------------------------------------------------ configuration


def mode_config_set(
    *, hall: Hall, config: Any, enabled: bool = True, user: Any = None, at: dt.datetime | None = None
) -> ModeConfig:
    """Store the hall's mode configuration after the core has validated it (``Invalid`` names the field)."""
    try:
        parse_mode_config(config)
    except RuleError as exc:
        raise _invalid(exc, "config") from None
    now = _now(at)
    with transaction.atomic():
        row, _created = ModeConfig.objects.update_or_create(
            hall=hall, defaults={"config": config, "enabled": enabled, "updated_at": now, "updated_by": user}
        )
        audit_record(
            actor=user,
            action="rules.mode_config",
            object_type="mode_config",
            object_id=row.pk,
            hall_id=hall.pk,
            detail={"enabled": enabled},
            at=now,
        )
    return row


def rule_create(
    *,
    hall: Hall,
    name: str,
    definition: Any,
    user: Any = None,
    enabled: bool = True,
    order: int = 100,
    note: str = "",
    at: dt.datetime | None = None,
) -> RuleRow:
    """A new rule with its first version (the definition validated by the core against the catalog)."""
    name = (name or "").strip()
    if not name:
        raise Invalid("a rule needs a name", field="name", code="required")
    _validate(definition)
    now = _now(at)
    with transaction.atomic():
        if RuleRow.objects.filter(hall=hall, name=name).exists():
            raise Invalid("the hall already has a rule with this name", field="name", code="duplicate")
        rule = RuleRow.objects.create(hall=hall, name=name, enabled=enabled, order=order, created_at=now)
        _add_version(rule, definition, user=user, note=note, at=now)
    return rule


def rule_revise(
    *, rule: RuleRow, definition: Any, user: Any = None, note: str = "", at: dt.datetime | None = None
) -> RuleVersion:
    """Edit a rule's definition: a new version (old ones are kept, firings keep pointing at theirs). An
    unchanged definition adds nothing and returns the current version."""
    parsed = _validate(definition)
    now = _now(at)
    with transaction.atomic():
        locked = RuleRow.objects.select_for_update(of=("self",)).select_related("current").get(pk=rule.pk)
        if locked.current is not None and locked.current.definition == parsed:
            return locked.current
        version = _add_version(locked, definition, user=user, note=note, at=now)
    rule.current = version
    rule.current_id = version.pk
    return version


def rule_update(
    *,
    rule: RuleRow,
    user: Any = None,
    name: str | None = None,
    enabled: bool | None = None,
    order: int | None = None,
    at: dt.datetime | None = None,
) -> RuleRow:
    """Rename, switch on or off, or reorder a rule (its definition changes only through ``rule_revise``)."""
    now = _now(at)
    with transaction.atomic():
        changed: dict[str, Any] = {}
        if name is not None and name.strip() != rule.name:
            name = name.strip()
            if not name:
                raise Invalid("a rule needs a name", field="name", code="required")
            if RuleRow.objects.filter(hall_id=rule.hall_id, name=name).exclude(pk=rule.pk).exists():
                raise Invalid("the hall already has a rule with this name", field="name", code="duplicate")
            changed["name"] = name
        if enabled is not None and enabled != rule.enabled:
            changed["enabled"] = enabled
        if order is not None and order != rule.order:
            changed["order"] = order
        if changed:
            for key, value in changed.items():
                setattr(rule, key, value)
            rule.save(update_fields=list(changed))
            audit_record(
                actor=user,
                action="rules.rule_update",
                object_type="rule",
                object_id=rule.pk,
                hall_id=rule.hall_id,
                detail=changed,
                at=now,
            )
    return rule


def _validate(definition: Any) -> dict[str, Any]:
    try:
        return rule_parse(definition).to_json()
    except RuleError as exc:
        raise _invalid(exc, "definition") from None


def _add_version(rule: RuleRow, definition: Any, *, user: Any, note: str, at: dt.datetime) -> RuleVersion:
    last = rule.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = RuleVersion.objects.create(
        rule=rule,
        number=last + 1,
        definition=rule_parse(definition).to_json(),
        note=note[:200],
        created_at=at,
        created_by=user,
    )
    rule.current = version
    rule.save(update_fields=["current"])
    audit_record(
        actor=user,
        action="rules.rule_version",
        object_type="rule",
        object_id=rule.pk,
        hall_id=rule.hall_id,
        detail={"name": rule.name, "version": version.number},
        at=at,
    )
    return version


# --------------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation step did (for the command, the job and the tests)."""

    hall: str
    mode: Mode | None
    changed: bool
    effects: Effects
    started: list[int] = field(default_factory=list)  # rule version ids that started firing
    ended: list[int] = field(default_factory=list)
    notified: int = 0


def _signal(state: HallState) -> ModeSignal:
    """The mode's signal: people waiting, the longest estimate among the types they wait for, open counters."""
    return mode_signal(
        waiting=state.waiting,
        waiting_estimates=(ln.estimated_wait_seconds for ln in state.lines if ln.waiting),
        open_counters=state.open_counters,
        target_wait_seconds=state.target_wait_seconds,
    )


def hall_evaluate(*, hall: Hall, at: dt.datetime | None = None) -> Evaluation:
    """Decide the hall's mode, evaluate its rules, apply and record what changed, in one transaction."""
    now = _now(at)
    config, enabled = hall_mode_config(hall)
    with transaction.atomic():
        if not enabled:
            return _unmanage(hall, ProcessState.objects.select_for_update().filter(hall=hall).first(), now)
        # The row exists before it is locked, so two evaluators of a new hall wait for each other.
        fresh = {"mode": Mode.NORMAL.value, "since": now, "effects": {}, "firing": [], "changed_at": now}
        ProcessState.objects.get_or_create(hall=hall, defaults=fresh)
        state = ProcessState.objects.select_for_update().get(hall=hall)
        calendar = config.calendar()
        local = now.astimezone(hall.tz)
        live = hall_live_state(hall=hall, at=now, mode=Mode.NORMAL)
        current = Mode(state.mode) if state.effects.get("managed") else None
        decision = mode_next(
            config,
            current,
            state.since if current is not None else None,
            _signal(live),
            now,
            local=local,
            calendar=calendar,
        )
        live = replace(live, mode=decision.mode)
        firings = evaluate(hall_rules(hall), live, local, calendar)
        effects = effects_from(firings, live)
        firing_ids = [int(f.ref) for f in firings if f.ref is not None]
        open_rows = {row.version_id: row for row in RuleFiring.objects.filter(hall=hall, ended_at__isnull=True)}
        started = [f for f in firings if f.ref not in open_rows]
        ended = [row for vid, row in open_rows.items() if vid not in firing_ids]
        for f in started:
            RuleFiring.objects.create(hall=hall, version_id=f.ref, started_at=now, cause=dict(f.cause))
        for row in ended:
            row.ended_at = now
            row.save(update_fields=["ended_at"])
        previous = Effects.from_json(state.effects) if state.effects else Effects()
        if decision.changed:
            ModeChange.objects.create(
                hall=hall,
                at=now,
                from_mode=current.value if current is not None else "",
                to_mode=decision.mode.value,
                reason=decision.reason,
                signal={**{k: round(v, 3) for k, v in decision.values.items()}, "floor": decision.floor.value},
            )
        effects_json = effects.to_json()
        changed = (
            decision.changed
            or bool(started)
            or bool(ended)
            or effects_json != state.effects
            or sorted(firing_ids) != sorted(state.firing)
        )
        if changed:
            state.mode = decision.mode.value
            state.since = decision.since
            state.effects = effects_json
            state.firing = sorted(firing_ids)
            state.changed_at = now
            state.save()
            _alert(hall, previous, effects, live, now)
            event_record(
                hall_id=hall.pk,
                kind="process.changed",
                at=now,
                data={
                    "mode": decision.mode.value,
                    "from": current.value if current is not None else None,
                    "since": decision.since.isoformat(),
                    "reason": decision.reason if decision.changed else "rules",
                    "started": [int(f.ref) for f in started if f.ref is not None],
                    "ended": [row.version_id for row in ended],
                    "effects": effects_json,
                },
            )
        notified = _notify_near_turn(hall, now, effects.near_turn_places) if effects.near_turn_places else 0
    return Evaluation(
        hall=hall.code,
        mode=decision.mode,
        changed=changed,
        effects=effects,
        started=[int(f.ref) for f in started if f.ref is not None],
        ended=[row.version_id for row in ended],
        notified=notified,
    )


def _unmanage(hall: Hall, state: ProcessState | None, now: dt.datetime) -> Evaluation:
    """The hall's rules engine is off: end open firings and clear the effects once (then nothing to do)."""
    if state is None or not state.effects.get("managed"):
        return Evaluation(hall=hall.code, mode=None, changed=False, effects=Effects())
    ended = list(RuleFiring.objects.filter(hall=hall, ended_at__isnull=True))
    for row in ended:
        row.ended_at = now
        row.save(update_fields=["ended_at"])
    previous = Effects.from_json(state.effects)
    state.effects = Effects().to_json()
    state.firing = []
    state.changed_at = now
    state.save()
    if previous.open_counters is not None:
        alert_clear(hall=hall, key=ALERT_KEY, at=now)
    event_record(
        hall_id=hall.pk,
        kind="process.changed",
        at=now,
        data={"mode": None, "from": state.mode, "reason": "disabled", "ended": [r.version_id for r in ended]},
    )
    return Evaluation(hall=hall.code, mode=None, changed=True, effects=Effects(), ended=[r.version_id for r in ended])


def _alert(hall: Hall, before: Effects, after: Effects, live: HallState, now: dt.datetime) -> None:
    """Raise (or update) the open-counters alert when the request appears or changes; clear it when it ends."""
    if after.open_counters == before.open_counters:
        return
    if after.open_counters is None:
        alert_clear(hall=hall, key=ALERT_KEY, at=now)
        return
    request = after.open_counters
    alert_raise(
        hall=hall,
        kind="open_counters",
        key=ALERT_KEY,
        severity="warning",
        data={
            **request.to_json(),
            "count": request.more,  # what the alert board shows: "open N more counters"
            "mode": after.mode.value,
            "waiting": live.waiting,
            "arrivals_per_hour": live.arrivals_per_hour,
            "handling_seconds": live.handling_seconds,
        },
        at=now,
    )


def _near_turn_text(number: str, ahead: int, hall: Hall) -> str:
    with translation.override("zh-hans"):
        return _("%(hall)s: number %(number)s, %(ahead)s ahead of you. Please come back to the waiting area.") % {
            "hall": hall.name,
            "number": number,
            "ahead": ahead,
        }


def _notify_near_turn(hall: Hall, now: dt.datetime, places: int) -> int:
    """One SMS to each waiting customer with a phone number once at most ``places`` people are ahead of them
    and an open counter serves their business type."""
    candidates = (
        Ticket.objects.filter(hall=hall, day=hall_local_day(hall, now), status=TicketState.WAITING)
        .exclude(phone="")
        .exclude(pk__in=NearTurnNotice.objects.filter(ticket__hall=hall).values("ticket_id"))
        .select_related("hall")
        .order_by("rank", "id")[:NEAR_TURN_BATCH]
    )
    sent = 0
    for ticket in candidates:
        quote = ticket_wait_quote(ticket=ticket, at=now)
        if quote.people_ahead > places or not quote.open_counters:  # no open counter serves it: not near
            continue
        NearTurnNotice.objects.create(ticket=ticket, sent_at=now, people_ahead=quote.people_ahead)
        notification_send(
            to=ticket.phone,
            body=_near_turn_text(ticket.number, quote.people_ahead, hall),
            hall_id=hall.pk,
            purpose="near_turn",
        )
        audit_record(
            actor=None,
            action="rules.near_turn_sms",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=hall.pk,
            customer_ref=mask_phone(ticket.phone),
            detail={"number": ticket.number, "ahead": quote.people_ahead},
            at=now,
        )
        sent += 1
    return sent


def halls_evaluate(*, at: dt.datetime | None = None) -> int:
    """Evaluate every hall with a mode configuration (each in its own transaction); returns how many changed."""
    now = _now(at)
    changed = 0
    halls = Hall.objects.filter(Q(mode_config__isnull=False) | Q(process_state__isnull=False)).distinct()
    for hall in halls.order_by("pk"):
        if hall_evaluate(hall=hall, at=now).changed:
            changed += 1
    return changed
