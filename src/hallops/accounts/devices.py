"""Paired devices (kiosks, hall displays, rating pads): create with a one-time code, pair, recognise, revoke.

A device never carries a token in its URL: pairing sets an HttpOnly cookie ``<device id>.<secret>``; only the
secret's SHA-256 is stored. The pairing code is 8 digits, valid for ``PAIRING_MINUTES``, used once; failed
attempts are not told apart (wrong, expired, used, revoked all read "code not valid").
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hallops.accounts.models import Device
from hallops.accounts.services import token_hash
from hallops.accounts.throttle import PAIRING_LIMIT, claim_attempt, clear_attempts
from hallops.audit.services import audit_record
from hallops.core.roles import Action, Role
from hallops.errors import Invalid, TooManyRequests
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Counter, Hall, StaffRole
from hallops.realtime.events import device_revoked_on_commit

COOKIE_NAME = "hallops_device"
COOKIE_MAX_AGE = 400 * 24 * 3600
PAIRING_MINUTES = 15
_ROLE_OF_KIND = {
    Device.Kind.KIOSK: Role.KIOSK,
    Device.Kind.DISPLAY: Role.DISPLAY,
    Device.Kind.RATING_PAD: Role.RATING_PAD,
}


def device_role(device: Device) -> Role:
    return _ROLE_OF_KIND[Device.Kind(device.kind)]


def _new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def device_create(
    *, actor: Actor, hall: Hall, kind: str, name: str = "", counter_number: int | None = None
) -> tuple[Device, str]:
    """A new device of ``kind`` in ``hall`` and its one-time pairing code (returned once, stored hashed)."""
    require(actor, hall.pk, Action.DEVICE_MANAGE)
    try:
        kind_ = Device.Kind(kind)
    except ValueError:
        raise Invalid(f"unknown device kind {kind!r}", field="kind") from None
    if kind_ == Device.Kind.RATING_PAD:
        if counter_number is None:
            raise Invalid("a rating pad belongs to a counter", field="counter_number")
        if not Counter.objects.filter(hall=hall, number=counter_number).exists():
            raise Invalid(f"no counter {counter_number} in this hall", field="counter_number")
    else:
        counter_number = None
    now = timezone.now()
    code = _new_code()
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=f"device-{hall.code}-{kind_.value}-{secrets.token_hex(4)}")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        StaffRole.objects.create(user=user, hall=hall, role=_ROLE_OF_KIND[kind_].value)
        device = Device.objects.create(
            hall=hall,
            kind=kind_.value,
            counter_number=counter_number,
            name=name[:100],
            user=user,
            pairing_code_hash=token_hash(code),
            pairing_expires_at=now + dt.timedelta(minutes=PAIRING_MINUTES),
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="device.created",
            object_type="device",
            object_id=device.pk,
            hall_id=hall.pk,
            detail={"kind": kind_.value, "name": device.name},
            at=now,
        )
    return device, code


def device_new_code(*, actor: Actor, device: Device) -> str:
    """A fresh pairing code for a device (re-pairing a replaced screen); the old cookie stops working."""
    require(actor, device.hall_id, Action.DEVICE_MANAGE, what="device")
    code = _new_code()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(
            pairing_code_hash=token_hash(code),
            pairing_expires_at=timezone.now() + dt.timedelta(minutes=PAIRING_MINUTES),
            secret_hash="",
            revoked_at=None,
        )
        audit_record(
            actor=actor,
            action="device.new_code",
            object_type="device",
            object_id=device.pk,
            hall_id=device.hall_id,
            at=timezone.now(),
        )
    return code


def device_pair(*, code: str, source: str = "") -> tuple[Device, str]:
    """Consume a pairing code; return the device and the cookie value to set on it.

    ``source`` (the client's address) is allowed ``PAIRING_LIMIT`` attempts per 15 minutes, so that codes
    cannot be guessed by trying many.
    """
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 8 and code.isdigit()):
        raise Invalid("enter the 8-digit pairing code", field="code")
    if not claim_attempt("pair", source, limit=PAIRING_LIMIT):
        raise TooManyRequests("too many pairing attempts from this device: try again later", field="code")
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = (
            Device.objects.select_related("user", "hall")
            .select_for_update(of=("self",))
            .filter(pairing_code_hash=token_hash(code), revoked_at__isnull=True, pairing_expires_at__gt=now)
            .first()
        )
        if device is None:
            raise Invalid("this pairing code is not valid (wrong, used or expired)", field="code")
        device.pairing_code_hash = ""
        device.pairing_expires_at = None
        device.secret_hash = token_hash(secret)
        device.paired_at = now
        device.last_seen_at = now
        device.save(
            update_fields=["pairing_code_hash", "pairing_expires_at", "secret_hash", "paired_at", "last_seen_at"]
        )
        audit_record(
            actor=device.user,
            action="device.paired",
            object_type="device",
            object_id=device.pk,
            hall_id=device.hall_id,
            at=now,
        )
    clear_attempts("pair", source)
    return device, f"{device.pk}.{secret}"


def device_for_cookie(value: str | None) -> Device | None:
    """The live device a cookie value names, or None (malformed, unknown, revoked or re-paired)."""
    if not value or len(value) > 120 or "." not in value:
        return None
    pk, _, secret = value.partition(".")
    if not pk.isdigit() or len(pk) > 18:
        return None
    device = Device.objects.select_related("hall", "user").filter(pk=int(pk), revoked_at__isnull=True).first()
    if device is None or not device.secret_hash or not device.user.is_active:
        return None
    if not hmac.compare_digest(device.secret_hash, token_hash(secret)):
        return None
    return device


SEEN_EVERY = dt.timedelta(minutes=5)


def device_seen(device: Device, *, at: dt.datetime | None = None) -> None:
    """Record that the device was in use (at most one write per ``SEEN_EVERY``, for the devices page)."""
    now = at or timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


def device_revoke(*, actor: Actor, device: Device) -> None:
    require(actor, device.hall_id, Action.DEVICE_MANAGE, what="device")
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now(), secret_hash="", pairing_code_hash="")
        audit_record(
            actor=actor,
            action="device.revoked",
            object_type="device",
            object_id=device.pk,
            hall_id=device.hall_id,
            at=timezone.now(),
        )
        device_revoked_on_commit(device.hall_id, device.pk)


def device_screen_path(device: Device) -> str:
    """Where a paired device goes: its screen in its hall."""
    code = device.hall.code
    if device.kind == Device.Kind.KIOSK:
        return f"/hall/{code}/kiosk/"
    if device.kind == Device.Kind.DISPLAY:
        return f"/hall/{code}/display/"
    return f"/hall/{code}/rate/{device.counter_number}/"
