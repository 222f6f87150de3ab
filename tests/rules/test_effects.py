"""Each action's effect, seen where it is used: ticket issue, greeter and kiosk routes, counter banner, hall
display, alerts and SMS."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hallops.alerts.models import Alert
from hallops.core.queueing import Load, Targets, staffing
from hallops.hall import services as hall_services
from hallops.hall.screens import display_board
from hallops.notifications.models import Notification
from hallops.rules.models import NearTurnNotice
from hallops.rules.selectors import hall_effects
from hallops.web.pages import customer_selectors as cs
from hallops.web.pages.counter_selectors import counter_desk
from tests.factories import Setup
from tests.rules.helpers import PEAK, add_rule, cancel_all, configure, evaluate, issue
from tests.web.customer_helpers import login

pytestmark = pytest.mark.django_db


def _routes(setup: Setup, code: str) -> list[str]:
    service = cs.need_by_code(code=code)
    assert service is not None
    return [r.kind for r in cs.need_routes(hall=setup.hall, service=service, at=timezone.now())]


def test_enable_preacceptance_offers_it_at_the_greeter_only_while_switched_on(setup: Setup) -> None:
    """In a hall run by rules pre-acceptance is offered for a capable type only while a rule switches it on;
    an unmanaged hall offers it as before."""
    assert "preaccept" in _routes(setup, "new_subscriber")  # unmanaged: as without rules
    configure(setup.hall)
    add_rule(setup.hall, "pre when busy", {"type": "enable_preacceptance", "services": ["new_subscriber"]})
    evaluate(setup)
    assert "preaccept" not in _routes(setup, "new_subscriber")  # idle: the clerk sells instead
    issue(setup, 3)
    evaluate(setup)
    assert _routes(setup, "new_subscriber") == ["preaccept", "counter"]
    body = login("greeter", lang="en").get("/hall/h1/greeter/?need=new_subscriber").content.decode()
    assert 'data-route="preaccept"' in body


def test_force_self_service_diverts_tickets_and_shows_at_greeter_and_kiosk(setup: Setup) -> None:
    """At peak a kiosk-capable type is diverted like the catalog's forced types: no number, self-service route,
    the greeter's override form and the kiosk's self-service badge."""
    configure(setup.hall)
    add_rule(
        setup.hall, "peak to kiosks", {"type": "force_self_service", "services": ["sim_replacement"]}, conditions=[PEAK]
    )
    before = issue(setup, 1, "sim_replacement")[0]
    assert before.status == "waiting"
    issue(setup, 5)
    assert evaluate(setup).mode.value == "peak"
    result = hall_services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="sim_replacement", channel="kiosk"
    )
    assert result.diverted and result.ticket.status == "diverted" and not result.ticket.number
    override = hall_services.ticket_issue(
        actor=setup.actor("greeter"),
        hall=setup.hall,
        service_code="sim_replacement",
        channel="greeter",
        override_reason="elderly customer",
    )
    assert not override.diverted and override.ticket.number
    assert _routes(setup, "sim_replacement")[0] == "self_service"
    greeter = login("greeter", lang="en").get("/hall/h1/greeter/?need=sim_replacement").content.decode()
    assert 'name="override_reason"' in greeter and "please use a self-service kiosk" in greeter
    kiosk = login("kiosk", lang="en").get("/hall/h1/kiosk/").content.decode()
    button = kiosk[kiosk.index('data-code="sim_replacement"') :]
    assert "self-service" in button[: button.index("</button>")]
    # vas is not forced
    assert not hall_services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="value_added", channel="kiosk"
    ).diverted


def test_greeter_requires_a_reason_for_a_counter_ticket_of_a_rule_forced_type(setup: Setup) -> None:
    """The greeter's issue form refuses a counter ticket for a rule-forced type without a reason."""
    configure(setup.hall)
    add_rule(setup.hall, "always", {"type": "force_self_service", "services": ["sim_replacement"]}, conditions=[])
    evaluate(setup)
    client = login("greeter", lang="en")
    response = client.post("/hall/h1/greeter/issue/", {"service": "sim_replacement", "tap": "a" * 32})
    assert response.status_code == 422 and "override_reason" in response.content.decode()


def test_block_upselling_shows_the_counter_banner_below_the_halls_threshold(setup: Setup) -> None:
    """A rule's "no upselling" shows at counters although fewer wait than the hall's own threshold."""
    setup.hall.upsell_block_waiting = 99
    setup.hall.save()
    configure(setup.hall)
    add_rule(setup.hall, "no upselling when busy", {"type": "block_upselling", "services": ["value_added"]})
    agent = setup.actor("agent1")
    hall_services.counter_open(actor=agent, counter_id=setup.counters[0].pk)
    counter1, counter5 = setup.counters[0], setup.counters[4]
    counter1.refresh_from_db()
    assert not counter_desk(counter=counter1, actor=agent, at=timezone.now()).upsell_blocked
    issue(setup, 3)
    evaluate(setup)
    assert counter_desk(counter=counter1, actor=agent, at=timezone.now()).upsell_blocked
    # counter 5 serves only sim_replacement: the rule names value_added, so it may still recommend
    assert not counter_desk(counter=counter5, actor=agent, at=timezone.now()).upsell_blocked


def test_announce_progress_puts_the_line_in_the_display_ticker(setup: Setup) -> None:
    """The display's ticker gets the announcement with the live figures, Chinese then English."""
    configure(setup.hall)
    add_rule(
        setup.hall,
        "progress",
        {
            "type": "announce_progress",
            "template_zh": "{waiting} 人等候，约 {minutes} 分钟",
            "template_en": "{waiting} waiting",
        },
    )
    hall_services.counter_open(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    issue(setup, 4)
    evaluate(setup)
    board = display_board(hall=setup.hall, at=timezone.now())
    assert board.progress.waiting == 4 and board.progress.minutes
    assert board.progress_announcements == [f"4 人等候，约 {board.progress.minutes} 分钟", "4 waiting"]
    page = login("display").get("/hall/h1/display/").content.decode()
    source = page[page.index('id="ticker-source"') :]
    assert f"<li>4 人等候，约 {board.progress.minutes} 分钟</li>" in source[: source.index("</ul>")]


def test_alert_open_counters_raises_and_clears_the_alert(setup: Setup) -> None:
    """At peak the manager gets one open-counters alert with the numbers; it is resolved when peak ends."""
    configure(setup.hall, min_dwell_minutes=0)
    add_rule(setup.hall, "open counters", {"type": "alert_open_counters", "count": 2}, conditions=[PEAK])
    issue(setup, 6)
    evaluate(setup)
    alert = Alert.objects.get(hall=setup.hall, kind="open_counters")
    assert alert.state == "open" and alert.data["more"] == alert.data["count"] == 2 and alert.data["open"] == 0
    evaluate(setup, 1)
    assert Alert.objects.filter(hall=setup.hall).count() == 1  # not raised again every minute
    cancel_all(setup)
    evaluate(setup, 2)
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_by_system


def test_alert_open_counters_from_staffing_uses_recent_traffic(setup: Setup) -> None:
    """With count null the number comes from the staffing model: the last hour's arrivals and, with too few
    recent transactions, the waiting business types' limits as the handling time."""
    configure(setup.hall)
    add_rule(setup.hall, "open counters", {"type": "alert_open_counters", "count": None}, conditions=[PEAK])
    issue(setup, 6)  # value_added, limit 3 min
    evaluate(setup)
    expected = staffing(Load(arrival_rate=6 / 3600, service_time=180.0), Targets(target_wait=600.0, service_level=0.8))
    request = hall_effects(setup.hall).open_counters
    assert request is not None and request.basis == "staffing"
    assert (request.needed, request.more, request.open) == (expected.servers, expected.servers, 0)
    assert Alert.objects.get(kind="open_counters").data["more"] == expected.servers


def test_notify_near_turn_sends_one_sms_per_ticket(setup: Setup) -> None:
    """Customers who left a phone number get one SMS once at most N are ahead; never twice."""
    configure(setup.hall)
    add_rule(setup.hall, "sms", {"type": "notify_near_turn", "places_ahead": 1})
    hall_services.counter_open(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    tickets = issue(setup, 3, phone="13800138000")
    evaluate(setup)
    notes = list(Notification.objects.filter(purpose="near_turn"))
    assert len(notes) == 2  # the first (0 ahead) and the second (1 ahead); the third has 2 ahead
    assert all(n.to == "13800138000" for n in notes)
    assert tickets[0].number in notes[0].body or tickets[0].number in notes[1].body
    assert set(NearTurnNotice.objects.values_list("ticket_id", flat=True)) == {tickets[0].pk, tickets[1].pk}
    evaluate(setup, 1)
    assert Notification.objects.filter(purpose="near_turn").count() == 2
    hall_services.counter_call_next(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    evaluate(setup, 2)
    assert Notification.objects.filter(purpose="near_turn").count() == 3  # the third moved up


def test_notify_near_turn_waits_for_an_open_counter(setup: Setup) -> None:
    """With no counter open for their business type nobody's turn is near: no SMS yet."""
    configure(setup.hall)
    add_rule(setup.hall, "sms", {"type": "notify_near_turn", "places_ahead": 3})
    issue(setup, 3, phone="13800138000")
    evaluate(setup)
    assert not Notification.objects.filter(purpose="near_turn").exists()
