"""The greeter tablet: access, language, pinyin search keys, the recommendation with its waits, issuing once
per tap, priorities, the self-service override, inline errors with nothing written."""

from __future__ import annotations

import math

import pytest
from django.test import Client
from django.utils import timezone

from hallops.hall import services
from hallops.hall.models import HallEvent, Ticket
from hallops.hall.selectors import wait_quote
from hallops.web.pages.customer_selectors import pinyin_keys
from tests.factories import Setup
from tests.web.customer_helpers import device, login, name_services, numbered, tap_of

URL = "/hall/h1/greeter/"


def _issue(client: Client, tap: str, **form: str) -> object:
    return client.post(URL + "issue/", {"tap": tap, "priority": "normal", **form})


def test_renders_in_chinese_by_default(setup: Setup) -> None:
    """Without a language cookie the tablet speaks Chinese."""
    response = login("greeter").get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "客户要办理什么业务" in body


def test_renders_in_english_with_the_language_cookie(setup: Setup) -> None:
    """The language cookie switches the tablet to English."""
    body = login("greeter", lang="en").get(URL).content.decode()
    assert '<html lang="en">' in body
    assert "What does the customer need?" in body
    assert "客户要办理什么业务" not in body


@pytest.mark.parametrize(
    ("who", "status"),
    [("greeter", 200), ("manager", 200), ("admin", 200), ("clerk", 403), ("kiosk", 403), ("display", 403)],
)
def test_roles_that_may_override_self_service_open_it_others_get_403(setup: Setup, who: str, status: int) -> None:
    """Greeter, manager and admin (ticket.issue_override) open the tablet; a role without it gets the 403 page."""
    assert login(who).get(URL).status_code == status


def test_nobody_logged_in_goes_to_login_and_another_halls_staff_get_404(setup: Setup) -> None:
    """Anonymous → the login page with next; staff of another hall → 404; a paired kiosk is not staff."""
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fhall%2Fh1%2Fgreeter%2F"
    assert login("agent_b").get(URL).status_code == 404
    assert device(setup, "kiosk").get(URL).status_code == 302
    assert login("greeter").get("/hall/h2/greeter/").status_code == 404


def test_each_need_carries_its_pinyin_initials_for_the_search(setup: Setup) -> None:
    """The search keys are computed on the server: "xhrw" finds 新号入网, "bhk" finds 补换卡, "bk" finds 办卡."""
    name_services(setup)
    body = login("greeter").get(URL).content.decode()
    assert 'data-initials="xhrw"' in body
    assert 'data-initials="bhk"' in body
    assert "buhuanka" in body  # full pinyin too
    assert pinyin_keys("办卡") == ("bk", "banka")


def test_a_kiosk_capable_need_recommends_the_kiosk_and_shows_the_counter_wait(setup: Setup) -> None:
    """The routes come with the waits of hall.selectors.wait_quote (the one estimator)."""
    agent = setup.actor("agent1")
    services.counter_open(actor=agent, counter_id=setup.counters[0].pk)
    for _ in range(2):
        services.ticket_issue(actor=setup.actor("greeter"), hall=setup.hall, service_code="value_added", channel="api")
    quote = wait_quote(hall=setup.hall, service_id=setup.services["sim"].pk, at=timezone.now())
    assert quote.people_ahead == 2 and quote.estimated_wait_seconds
    body = login("greeter", lang="en").get(URL + "?need=sim_replacement").content.decode()
    kiosk = body.index('data-route="kiosk"')
    counter = body.index('data-route="counter"')
    assert kiosk < counter
    assert "recommended" in body[kiosk:counter]
    minutes = math.ceil(quote.estimated_wait_seconds / 60)
    assert f"~{minutes} min (2 ahead)" in body[counter:]


def test_pre_acceptance_is_recommended_for_complex_needs_and_counter_waits_show_no_counter_open(setup: Setup) -> None:
    """With no counter open the wait reads so; pre-acceptance comes first for a pre-acceptance-capable type."""
    body = login("greeter", lang="en").get(URL + "?need=new_subscriber").content.decode()
    assert body.index('data-route="preaccept"') < body.index('data-route="counter"')
    assert "no counter open" in body
    routes = login("greeter", lang="en").get(URL + "routes/?need=new_subscriber")
    assert routes.status_code == 200 and 'data-route="preaccept"' in routes.content.decode()


def test_issuing_creates_one_ticket_and_a_retried_post_returns_the_same_one(setup: Setup) -> None:
    """A double tap or a retried POST (same tap key) does not make a second ticket."""
    client = login("greeter")
    tap = tap_of(client.get(URL + "?need=sim_replacement"))
    first = _issue(client, tap, service="sim_replacement", phone="13812341234")
    assert first.status_code == 303
    assert first["Location"].startswith("/hall/h1/greeter/ticket/")
    again = _issue(client, tap, service="sim_replacement", phone="13812341234")
    assert again["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.priority, ticket.number, ticket.phone) == (
        "greeter",
        "normal",
        "B001",
        "13812341234",
    )
    assert HallEvent.objects.filter(kind="ticket.issued").count() == 1
    page = client.get(first["Location"])
    assert page.status_code == 200
    assert "B001" in page.content.decode() and "<svg" in page.content.decode()
    assert "13812341234" not in page.content.decode()


def test_a_vip_ticket_carries_its_star_level(setup: Setup) -> None:
    """VIP with 3 stars is issued with priority vip and star level 3."""
    client = login("greeter")
    tap = tap_of(client.get(URL + "?need=value_added"))
    response = client.post(URL + "issue/", {"tap": tap, "service": "value_added", "priority": "vip", "star_level": "3"})
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.star_level) == ("vip", 3)


def test_a_vip_without_stars_is_refused_next_to_the_field_and_nothing_is_written(setup: Setup) -> None:
    """The star-level error is shown at the star select (aria-invalid), no ticket, no event."""
    client = login("greeter")
    tap = tap_of(client.get(URL + "?need=value_added"))
    response = client.post(URL + "issue/", {"tap": tap, "service": "value_added", "priority": "vip", "star_level": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="star-error"' in body
    assert 'name="star_level" aria-invalid="true"' in body
    assert Ticket.objects.count() == 0 and HallEvent.objects.count() == 0


def test_a_bad_phone_is_refused_inline_and_the_corrected_retry_with_the_same_tap_issues(setup: Setup) -> None:
    """A refused request frees its tap key: correcting the phone and sending again issues exactly one ticket."""
    client = login("greeter")
    tap = tap_of(client.get(URL + "?need=sim_replacement"))
    bad = _issue(client, tap, service="sim_replacement", phone="12345")
    assert bad.status_code == 422
    body = bad.content.decode()
    assert 'id="phone-error"' in body and "不是有效的手机号码" in body
    assert tap_of(bad) == tap
    assert Ticket.objects.count() == 0
    good = _issue(client, tap, service="sim_replacement", phone="13812341234")
    assert good.status_code == 303 and Ticket.objects.count() == 1


def test_an_unknown_need_is_refused_inline(setup: Setup) -> None:
    """Posting a business type that does not exist writes nothing and says so."""
    client = login("greeter")
    tap = tap_of(client.get(URL))
    response = _issue(client, tap, service="nope")
    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_a_forced_self_service_need_is_sent_to_self_service_without_a_number(setup: Setup) -> None:
    """ "Send to self-service" records the diversion (no number) and shows the instructions."""
    client = login("greeter")
    page = client.get(URL + "?need=payment")
    assert "请自助缴费" in page.content.decode()
    response = _issue(client, tap_of(page), service="payment", action="divert")
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.number) == ("diverted", "")
    shown = client.get(response["Location"]).content.decode()
    assert "请自助缴费" in shown and 'id="slip"' not in shown
    assert numbered() == 0


def test_overriding_self_service_needs_a_reason(setup: Setup) -> None:
    """Override without a reason → inline error, nothing written; with a reason → a numbered ticket keeping it."""
    client = login("greeter")
    tap = tap_of(client.get(URL + "?need=payment"))
    refused = _issue(client, tap, service="payment", action="override", override_reason="  ")
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.content.decode()
    assert Ticket.objects.count() == 0
    issued = _issue(client, tap, service="payment", action="override", override_reason="elderly customer")
    assert issued.status_code == 303
    ticket = Ticket.objects.get()
    assert (ticket.number, ticket.override_reason) == ("D001", "elderly customer")


def test_a_post_without_a_tap_key_writes_nothing(setup: Setup) -> None:
    """The tap key is required: a form without it (an old page) asks to try again."""
    response = login("greeter").post(URL + "issue/", {"service": "sim_replacement", "priority": "normal"})
    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_another_halls_ticket_is_not_shown(setup: Setup) -> None:
    """The ticket view answers 404 for a ticket of another hall."""
    other = services.ticket_issue(
        actor=setup.actor("admin"), hall=setup.other_hall, service_code="sim_replacement", channel="api"
    ).ticket
    assert login("greeter").get(f"{URL}ticket/{other.token}/").status_code == 404


def test_the_need_buttons_refresh_as_a_partial(setup: Setup) -> None:
    """The live refresh of the need buttons returns the buttons only, with the waiting counts."""
    services.ticket_issue(actor=setup.actor("greeter"), hall=setup.hall, service_code="value_added", channel="api")
    response = login("greeter", lang="en").get(URL + "needs/?need=value_added")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "1 waiting" in body
    assert body.count("need selected") == 1
    assert 'class="need selected" href="/hall/h1/greeter/?need=value_added"' in body


def test_the_page_reads_a_fixed_number_of_queries_however_many_business_types(setup: Setup) -> None:
    """The needs and their waits come from one queue summary: ten more business types cost no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import business_type

    client = login("greeter")
    client.get(URL)  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    before = count()
    for n in range(10):
        business_type(f"extra_{n}", "X", kiosk=bool(n % 2))
    assert count() == before
