"""Request and response shapes of /api/v1. Requests forbid unknown fields (no mass assignment)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator


class In(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL characters: refuse them as an invalid value (422), not a failed write."""
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            raise ValueError("must not contain NUL characters")
        return value


class ErrorOut(Schema):
    code: str
    field: str | None
    message: str


class TokenIn(In):
    username: str = Field(max_length=150)
    password: str = Field(max_length=200)


class TokenOut(Schema):
    token: str


class HallOut(Schema):
    code: str
    name: str
    name_en: str
    timezone: str
    open_24h: bool
    opens_at: dt.time
    closes_at: dt.time
    local_date: dt.date


class ServiceOut(Schema):
    code: str
    name: str
    name_en: str
    prefix: str
    complexity: str
    limit_minutes: float
    kiosk: bool
    forced_self_service: bool
    pre_acceptance: bool


class CounterOut(Schema):
    id: int
    number: int
    zone: str
    status: str
    pause_reason: str
    agent: str | None
    services: list[str]
    current_ticket: str | None


class QueueLineOut(Schema):
    service: str
    name: str
    waiting: int
    estimated_wait_seconds: int | None


class QueueOut(Schema):
    items: list[QueueLineOut]
    count: int
    waiting_total: int


class TicketIn(In):
    service: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    priority: str = Field(default="normal", max_length=20)
    star_level: int = Field(default=0, ge=0, le=5)
    phone: str = Field(default="", max_length=30)
    override_reason: str = Field(default="", max_length=200)


class TicketOut(Schema):
    id: int
    number: str | None
    status: str
    hall: str
    service: str
    channel: str
    priority: str
    star_level: int
    phone: str
    issued_at: dt.datetime
    called_at: dt.datetime | None
    counter: int | None
    position: int | None
    people_ahead: int | None
    estimated_wait_seconds: int | None
    quoted_wait_seconds: int | None
    url: str
    self_service: dict[str, Any] | None = None


class PreOrderIn(In):
    service: str | None = Field(default=None, max_length=40)
    state: str | None = Field(default=None, max_length=20)
    customer_name: str = Field(default="", max_length=60)
    id_type: str = Field(default="", max_length=30)
    id_number: str = Field(default="", max_length=30)
    phone: str = Field(default="", max_length=30)
    products: list[str] = Field(default_factory=list, max_length=50)
    documents: list[str] = Field(default_factory=list, max_length=50)
    notes: str = Field(default="", max_length=2000)
    version: int | None = Field(
        default=None,
        ge=0,
        le=2**31,
        description="the version this edit is based on (0: there was no pre-order yet); when given, a save over a "
        "newer version is refused with 409 stale_version instead of overwriting it",
    )


class PreOrderOut(Schema):
    id: int
    ticket: int
    service: str
    state: str
    customer_name: str
    id_type: str
    id_number: str
    phone: str
    products: list[str]
    documents: list[str]
    notes: str
    editor: str | None
    version: int
    updated_at: dt.datetime


class TransactionOut(Schema):
    id: int
    counter: int
    ticket: str | None
    service: str
    extra_services: list[str]
    phase: str
    limit_seconds: int
    called_at: dt.datetime
    arrived_at: dt.datetime | None
    communication_at: dt.datetime | None
    operation_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: str
    reason: str
    service_seconds: float | None
    handling_seconds: float | None
    overrun: str | None


class CallOut(Schema):
    ticket: TicketOut
    transaction: TransactionOut
    pre_order: PreOrderOut | None


class PauseIn(In):
    reason: str = Field(max_length=100)


class CallNumberIn(In):
    number: str = Field(max_length=10)


class TransferIn(In):
    service: str | None = Field(default=None, max_length=40)
    counter: int | None = Field(default=None, ge=1, le=9999)


class ResumeIn(In):
    ticket: int = Field(ge=1)


class CompleteIn(In):
    outcome: str = Field(default="completed", max_length=20)
    reason: str = Field(default="", max_length=30)


class ServiceIn(In):
    service: str = Field(max_length=40)
