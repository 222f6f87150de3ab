"""The demo province: halls, counters, staff and the business-type catalog seeded from the case studies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hallops.analytics.demo import demo_history_load
from hallops.audit.chain import audit_erase_for_demo_reset
from hallops.catalog.models import BusinessType, Complexity
from hallops.core.roles import Role
from hallops.hall.models import (
    HallEvent,
    IdempotencyRecord,
    PreOrder,
    ServiceTransaction,
    Ticket,
    TicketSequence,
)
from hallops.notifications.models import Notification
from hallops.organisation.models import City, Counter, CounterZone, Hall, Region, StaffRole
from hallops.planning.services import plans_demo_load
from hallops.rules.demo import rules_demo_load
from hallops.web.models import DemoState

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class ServiceSeed:
    code: str
    zh: str
    en: str
    prefix: str
    minutes: str
    complex: bool = False
    kiosk: bool = False
    forced: bool = False
    pre: bool = False
    self_zh: str = ""
    self_en: str = ""


# Limits from the seeds: new subscriber 8 min, SIM replacement 3 min, value-added services 3 min (seed 003);
# a single simple transaction 3 min, counter handling at most 10 min (seeds 000, 003).
CATALOG = [
    ServiceSeed("new_subscriber", "新入网", "New subscriber", "A", "8", complex=True, pre=True),
    ServiceSeed("sim_replacement", "补换卡", "SIM replacement", "B", "3", kiosk=True),
    ServiceSeed("value_added", "增值业务", "Value-added services", "C", "3", kiosk=True),
    ServiceSeed("plan_change", "套餐变更", "Plan change", "C", "5", pre=True),
    ServiceSeed(
        "payment",
        "缴费",
        "Payment",
        "D",
        "3",
        kiosk=True,
        forced=True,
        self_zh="请到自助缴费机或使用手机营业厅缴费，自助区协管员可协助您。",
        self_en="Please pay at a self-service kiosk or in the mobile app; the kiosk assistant can help.",
    ),
    ServiceSeed(
        "bill_query",
        "话费详单查询",
        "Bill and usage query",
        "D",
        "3",
        kiosk=True,
        forced=True,
        self_zh="请在自助终端刷身份证打印详单，或在手机营业厅查询。",
        self_en="Print your itemised bill at a kiosk with your ID card, or check it in the mobile app.",
    ),
    ServiceSeed("broadband", "宽带办理", "Broadband", "E", "10", complex=True, pre=True),
    ServiceSeed("bundle", "融合套餐", "Bundle (mobile + broadband)", "E", "10", complex=True, pre=True),
    ServiceSeed("handset", "购机", "Handset purchase", "F", "10", complex=True, pre=True),
    ServiceSeed("complaint", "投诉受理", "Complaint", "G", "10", complex=True),
    ServiceSeed("inquiry", "业务咨询", "Inquiry", "H", "3"),
    ServiceSeed("ownership_transfer", "过户", "Ownership transfer", "A", "8", complex=True, pre=True),
]

HALLS = [
    ("ty01", "太原迎泽大街营业厅", "Taiyuan Yingze Avenue Hall", 8),
    ("ty02", "太原长风街营业厅", "Taiyuan Changfeng Street Hall", 5),
]


def _user(username: str, *, superuser: bool = False, first_name: str = "") -> object:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(DEMO_PASSWORD)
    user.is_staff = superuser or username == "manager"
    user.is_superuser = superuser
    user.first_name = first_name
    user.is_active = True
    user.save()
    return user


@transaction.atomic
def demo_load(*, traffic: bool = True) -> dict[str, list[str]]:
    """Load or reset the demo data (idempotent) and record whether simulated traffic is on."""
    audit_erase_for_demo_reset()  # the audit tables reject DELETE outside a purge
    for model in (HallEvent, PreOrder, Notification, IdempotencyRecord):
        model.objects.all().delete()
    ServiceTransaction.extra_services.through.objects.all().delete()
    ServiceTransaction.objects.all().delete()
    Ticket.objects.filter(parent__isnull=False).delete()
    Ticket.objects.all().delete()
    TicketSequence.objects.all().delete()

    region, _ = Region.objects.update_or_create(code="sx", defaults={"name": "山西省（演示）"})
    city, _ = City.objects.update_or_create(code="sx-ty", defaults={"region": region, "name": "太原市"})
    services = {}
    for order, seed in enumerate(CATALOG):
        services[seed.code], _ = BusinessType.objects.update_or_create(
            code=seed.code,
            defaults={
                "name_zh": seed.zh,
                "name_en": seed.en,
                "prefix": seed.prefix,
                "limit_minutes": Decimal(seed.minutes),
                "complexity": Complexity.COMPLEX if seed.complex else Complexity.SIMPLE,
                "kiosk": seed.kiosk,
                "forced_self_service": seed.forced,
                "pre_acceptance": seed.pre,
                "self_service_zh": seed.self_zh,
                "self_service_en": seed.self_en,
                "sort_order": order,
                "active": True,
            },
        )
    counter_services = [b for b in services.values() if not b.forced_self_service]
    simple = [services[c] for c in ("sim_replacement", "value_added", "plan_change", "inquiry")]
    complex_ = [
        services[c] for c in ("new_subscriber", "broadband", "bundle", "handset", "ownership_transfer", "complaint")
    ]
    logins: dict[str, list[str]] = {}
    StaffRole.objects.all().delete()
    admin = _user("admin", superuser=True, first_name="管理员")
    StaffRole.objects.create(user=admin, hall=None, role=Role.ADMIN)
    manager = _user("manager", first_name="厅经理")
    auditor = _user("auditor", first_name="审计员")
    StaffRole.objects.create(user=auditor, hall=None, role=Role.AUDITOR)
    logins["all halls"] = ["admin", "manager", "auditor"]
    for index, (code, name, name_en, n_counters) in enumerate(HALLS):
        hall, _ = Hall.objects.update_or_create(
            code=code,
            defaults={
                "city": city,
                "name": name,
                "name_en": name_en,
                "timezone": "Asia/Shanghai",
                "open_24h": True,
                "opens_at": dt.time(9),
                "closes_at": dt.time(18),
                "event_seq": 0,
            },
        )
        Counter.objects.filter(hall=hall, number__gt=n_counters).delete()
        for number in range(1, n_counters + 1):
            zone = CounterZone.COUNTER
            served = counter_services
            if number == 5:
                zone = CounterZone.VIP
            elif number == 6:
                zone, served = CounterZone.FAST, simple
            elif number >= 7:
                served = complex_
            counter, _ = Counter.objects.update_or_create(
                hall=hall,
                number=number,
                defaults={
                    "zone": zone,
                    "status": "closed",
                    "agent": None,
                    "session_ref": "",
                    "pause_reason": "",
                    "status_since": timezone.now(),
                },
            )
            counter.services.set(served)
        StaffRole.objects.create(user=manager, hall=hall, role=Role.MANAGER)
        if index == 0:
            names = {
                "kiosk1": Role.KIOSK,
                "greeter1": Role.GREETER,
                "preaccept1": Role.PREACCEPT,
                "display1": Role.DISPLAY,
                **{f"agent{i}": Role.AGENT for i in range(1, 5)},
            }
        else:
            names = {
                f"kiosk{index + 1}": Role.KIOSK,
                f"greeter{index + 1}": Role.GREETER,
                **{f"agent{index + 1}{i}": Role.AGENT for i in range(1, 4)},
            }
        for username, role in names.items():
            StaffRole.objects.create(user=_user(username), hall=hall, role=role)
        logins[code] = list(names)
    rules_demo_load(halls=list(Hall.objects.filter(code__in=[h[0] for h in HALLS]).order_by("code")))
    demo_history_load(halls=list(Hall.objects.filter(code__in=[h[0] for h in HALLS]).order_by("code")))
    plans_demo_load(halls=list(Hall.objects.filter(code__in=[h[0] for h in HALLS]).order_by("code")))
    state = DemoState.objects.first() or DemoState()
    state.traffic = traffic
    state.loaded_at = timezone.now()
    state.save()
    return logins
