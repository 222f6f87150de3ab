"""Test data: a small province with two halls, counters, a catalog and staff in each role."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from hallops.accounts.services import token_create
from hallops.catalog.models import BusinessType
from hallops.core.roles import Role
from hallops.organisation.access import Actor, actor_for_user
from hallops.organisation.models import City, Counter, Hall, Region, StaffRole

User = get_user_model()


def business_type(code: str, prefix: str, minutes: str = "3", **kw: Any) -> BusinessType:
    return BusinessType.objects.create(
        code=code, name_zh=code, name_en=code, prefix=prefix, limit_minutes=Decimal(minutes), **kw
    )


def user_with_role(username: str, role: Role, hall: Hall | None) -> Any:
    user = User.objects.create_user(username=username, password="pw-" + username)
    StaffRole.objects.create(user=user, hall=hall, role=role)
    return user


@dataclass
class Setup:
    hall: Hall
    other_hall: Hall
    services: dict[str, BusinessType]
    counters: list[Counter]
    other_counter: Counter
    users: dict[str, Any] = field(default_factory=dict)

    def actor(self, username: str, session: str = "s1") -> Actor:
        return actor_for_user(self.users[username], session_ref=f"test:{username}:{session}")


def make_hall(code: str, city: City, **kw: Any) -> Hall:
    return Hall.objects.create(
        city=city,
        code=code,
        name=f"hall {code}",
        timezone="Asia/Shanghai",
        open_24h=kw.pop("open_24h", True),
        **kw,
    )


def make_setup() -> Setup:
    region = Region.objects.create(code="r", name="region")
    city = City.objects.create(region=region, code="c", name="city")
    hall = make_hall("h1", city)
    other = make_hall("h2", city)
    services = {
        "new": business_type("new_subscriber", "A", "8", complexity="complex", pre_acceptance=True),
        "sim": business_type("sim_replacement", "B", "3", kiosk=True),
        "vas": business_type("value_added", "C", "3"),
        "pay": business_type(
            "payment",
            "D",
            "3",
            kiosk=True,
            forced_self_service=True,
            self_service_zh="请自助缴费",
            self_service_en="Pay at the kiosk",
        ),
    }
    counter_services = [services["new"], services["sim"], services["vas"]]
    counters = []
    for n in range(1, 5):
        c = Counter.objects.create(hall=hall, number=n)
        c.services.set(counter_services)
        counters.append(c)
    c5 = Counter.objects.create(hall=hall, number=5)
    c5.services.set([services["sim"]])
    counters.append(c5)
    oc = Counter.objects.create(hall=other, number=1)
    oc.services.set(counter_services)
    s = Setup(hall=hall, other_hall=other, services=services, counters=counters, other_counter=oc)
    for name, role, h in [
        ("admin", Role.ADMIN, None),
        ("kiosk", Role.KIOSK, hall),
        ("greeter", Role.GREETER, hall),
        ("clerk", Role.PREACCEPT, hall),
        ("agent1", Role.AGENT, hall),
        ("agent2", Role.AGENT, hall),
        ("agent3", Role.AGENT, hall),
        ("agent4", Role.AGENT, hall),
        ("manager", Role.MANAGER, hall),
        ("display", Role.DISPLAY, hall),
        ("agent_b", Role.AGENT, other),
        ("auditor", Role.AUDITOR, None),
    ]:
        s.users[name] = user_with_role(name, role, h)
    return s


class ApiClient:
    """A JSON client for /api/v1 that logs in as a user and keeps its bearer token."""

    def __init__(self) -> None:
        self.client = Client()
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            user = User.objects.get(username=username)
            _, raw = token_create(user=user, name="test")
            self.tokens[username] = raw
        return self.tokens[username]

    def call(
        self,
        method: str,
        path: str,
        as_user: str | None = None,
        body: Any = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if as_user is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token(as_user)}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        fn = getattr(self.client, method.lower())
        if data is None:
            return fn(f"/api/v1{path}", **extra)
        return fn(f"/api/v1{path}", data=data, content_type="application/json", **extra)

    def get(self, path: str, as_user: str | None = None, **kw: Any) -> Any:
        return self.call("GET", path, as_user, **kw)

    def post(self, path: str, as_user: str | None = None, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, as_user, body, **kw)

    def put(self, path: str, as_user: str | None = None, body: Any = None, **kw: Any) -> Any:
        return self.call("PUT", path, as_user, body, **kw)


def shanghai(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: float = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    sec = int(ss)
    return dt.datetime(y, m, d, hh, mm, sec, int((ss - sec) * 1_000_000), tzinfo=ZoneInfo("Asia/Shanghai"))


def session_cookie(username: str) -> str:
    """A ``Cookie`` header value logging ``username`` in (for WebSocket tests and raw HTTP clients)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"
