"""Writes for the organisation: a hall's own settings.

Every change goes through a service here: check the caller's action, validate, save in one transaction with
its audit row, and append a hall event so that the hall's live screens (the display) pick it up at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hallops.audit.services import audit_record
from hallops.core.announce import PhraseProblem, phrase_problem
from hallops.core.policy import NoShowPolicy
from hallops.core.roles import Action
from hallops.errors import Invalid
from hallops.hall.events import event_record
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Hall

ANNOUNCEMENT_LINES_MAX = 20
ANNOUNCEMENT_LINE_MAX = 200


class SettingsInvalid(Invalid):
    """One or more settings were rejected; ``errors`` names every field (``field``/``message``: the first)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field, code="invalid_setting")
        self.errors = errors


def _phrase_message(problem: PhraseProblem) -> str:
    return {
        PhraseProblem.EMPTY: _("Enter the announcement."),
        PhraseProblem.TOO_LONG: _("At most 200 characters."),
        PhraseProblem.MISSING_NUMBER: _("The announcement must contain {number} (the ticket number)."),
        PhraseProblem.MISSING_COUNTER: _("The announcement must contain {counter} (the counter number)."),
        PhraseProblem.STRAY_BRACE: _("Only {number} and {counter} may be written in braces."),
    }[problem]


def _phrase(value: Any) -> str:
    text = str(value).strip()
    problem = phrase_problem(text)
    if problem is not None:
        raise ValueError(_phrase_message(problem))
    return text


def _announcements(value: Any) -> str:
    lines = [line.strip() for line in str(value).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > ANNOUNCEMENT_LINES_MAX:
        raise ValueError(_("At most %(n)d announcements.") % {"n": ANNOUNCEMENT_LINES_MAX})
    if any(len(line) > ANNOUNCEMENT_LINE_MAX for line in lines):
        raise ValueError(_("Each announcement may have at most %(n)d characters.") % {"n": ANNOUNCEMENT_LINE_MAX})
    return "\n".join(lines)


def _whole_number(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(_("Enter a whole number."))
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
        if not low <= number <= high:
            raise ValueError(_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high})
        return number

    return parse


def _policy(value: Any) -> str:
    try:
        return NoShowPolicy(str(value)).value
    except ValueError:
        raise ValueError(_("Choose one of the missed-number policies.")) from None


@dataclass(frozen=True)
class _Setting:
    parse: Callable[[Any], Any]


#: The settings a hall manager may change here, each with its validation (ranges are what a hall can use).
HALL_SETTINGS: dict[str, _Setting] = {
    "call_phrase_zh": _Setting(_phrase),
    "call_phrase_en": _Setting(_phrase),
    "announcements": _Setting(_announcements),
    "upsell_block_waiting": _Setting(_whole_number(1, 99)),
    "wait_target_minutes": _Setting(_whole_number(1, 120)),
    "no_show_policy": _Setting(_policy),
    "no_show_keep_minutes": _Setting(_whole_number(1, 240)),
    "no_show_push_back_places": _Setting(_whole_number(1, 50)),
}


def hall_settings_update(*, actor: Actor, hall: Hall, **fields: Any) -> list[str]:
    """Change some of the hall's settings (``HALL_SETTINGS``); return the names of those that changed.

    All given fields are validated first; if any is rejected nothing is written and ``SettingsInvalid`` names
    each bad field. Changes are saved with their audit row and a ``hall.settings_changed`` event (the hall's
    displays reload their phrase and announcements on it). Nothing changed: nothing is written.
    """
    require(actor, hall.pk, Action.HALL_SETTINGS)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        setting = HALL_SETTINGS.get(name)
        if setting is None:
            errors[name] = _("This setting cannot be changed here.")
            continue
        try:
            clean[name] = setting.parse(value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise SettingsInvalid(errors)
    now = timezone.now()
    with transaction.atomic():
        current = Hall.objects.select_for_update().filter(pk=hall.pk).values(*HALL_SETTINGS).get()
        changes = {name: value for name, value in clean.items() if current[name] != value}
        if not changes:
            return []
        # An update of the named columns only: a full save() would write back a stale event counter.
        Hall.objects.filter(pk=hall.pk).update(**changes)
        audit_record(
            actor=actor,
            action="hall.settings_changed",
            object_type="hall",
            object_id=hall.pk,
            hall_id=hall.pk,
            detail={name: {"from": current[name], "to": value} for name, value in changes.items()},
            at=now,
        )
        event_record(
            hall_id=hall.pk,
            kind="hall.settings_changed",
            at=now,
            actor_id=actor.user_id,
            data={"fields": sorted(changes)},
        )
    for name, value in changes.items():
        setattr(hall, name, value)
    return sorted(changes)
