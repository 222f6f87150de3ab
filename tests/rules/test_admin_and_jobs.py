"""Admin editing of rules and mode configuration (validated by the core, errors by field), the periodic job,
the command and the demo."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from hallops.catalog.models import BusinessType, Complexity
from hallops.hall.models import HallEvent
from hallops.organisation.demo import CATALOG
from hallops.rules.demo import DEMO_RULES, rules_demo_load
from hallops.rules.models import ModeConfig, ProcessState, Rule, RuleVersion
from hallops.rules.tasks import evaluate_halls
from tests.factories import Setup
from tests.rules.helpers import SMALL, add_rule, configure, issue

pytestmark = pytest.mark.django_db


def _admin() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the messages below are checked in English
    return client


def _rule_form(setup: Setup, definition: object, **extra: object) -> dict[str, object]:
    data = {
        "hall": setup.hall.pk,
        "name": "no upselling",
        "enabled": "on",
        "order": 10,
        "definition": json.dumps(definition) if not isinstance(definition, str) else definition,
        "note": "",
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
    }
    data.update(extra)
    return data


def test_admin_refuses_an_invalid_rule_naming_the_field(setup: Setup) -> None:
    """The admin form shows the core parser's error with the path of the bad field; nothing is stored."""
    bad = {
        "format": 1,
        "conditions": [{"type": "estimated_wait", "op": ">=", "minutes": -5}],
        "actions": [{"type": "block_upselling"}],
    }
    response = _admin().post("/admin/rules/rule/add/", _rule_form(setup, bad))
    assert response.status_code == 200
    body = response.content.decode()
    assert "conditions[0].minutes: must be at least 0" in body
    assert not Rule.objects.exists()
    response = _admin_again().post("/admin/rules/rule/add/", _rule_form(setup, "{not json"))
    assert response.status_code == 200 and not Rule.objects.exists()


def _admin_again() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="root"))
    client.cookies["django_language"] = "en"
    return client


def test_admin_creates_and_edits_rules_as_versions(setup: Setup) -> None:
    """Adding a rule stores version 1; changing its definition stores version 2 and keeps version 1."""
    client = _admin()
    first = {"format": 1, "conditions": [{"type": "mode", "modes": ["busy"]}], "actions": [{"type": "block_upselling"}]}
    response = client.post("/admin/rules/rule/add/", _rule_form(setup, first))
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get()
    assert rule.current is not None and rule.current.number == 1 and rule.current.definition == first
    second = {**first, "conditions": [{"type": "mode", "modes": ["busy", "peak"]}]}
    data = _rule_form(setup, second, note="also at peak")
    data.pop("hall")
    response = client.post(f"/admin/rules/rule/{rule.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.current.number == 2 and rule.current.note == "also at peak"
    assert list(RuleVersion.objects.filter(rule=rule).values_list("number", flat=True)) == [2, 1]
    page = client.get(f"/admin/rules/rule/{rule.pk}/change/").content.decode()
    assert "also at peak" in page


def test_admin_mode_configuration_is_validated(setup: Setup) -> None:
    """A mode configuration whose leave threshold exceeds its enter threshold is refused by field."""
    client = _admin()
    bad = json.loads(json.dumps(SMALL))
    bad["levels"]["peak"]["leave"]["waiting"] = 7
    data = {"hall": setup.hall.pk, "enabled": "on", "config": json.dumps(bad)}
    response = client.post("/admin/rules/modeconfig/add/", data)
    assert response.status_code == 200
    assert "levels.peak.leave.waiting: must not exceed the enter threshold 6" in response.content.decode()
    data["config"] = json.dumps(SMALL)
    assert client.post("/admin/rules/modeconfig/add/", data).status_code == 302
    assert ModeConfig.objects.get().config == SMALL


def test_periodic_job_is_idempotent(setup: Setup) -> None:
    """The minute job changes a hall once; run again with nothing new it appends no event."""
    configure(setup.hall)
    add_rule(setup.hall, "r", {"type": "block_upselling"})
    issue(setup, 3)
    assert evaluate_halls.call_local() == 1
    seq = HallEvent.objects.filter(hall=setup.hall).count()
    assert evaluate_halls.call_local() == 0
    assert HallEvent.objects.filter(hall=setup.hall).count() == seq


def test_command_evaluates_one_hall(setup: Setup) -> None:
    """``hallops rules_evaluate --hall CODE`` prints the mode and the effects; an unknown hall is an error."""
    configure(setup.hall)
    add_rule(setup.hall, "r", {"type": "block_upselling"})
    issue(setup, 3)
    out = io.StringIO()
    call_command("rules_evaluate", "--hall", "h1", stdout=out)
    text = out.getvalue()
    assert "h1: mode=busy changed=yes" in text and "no-upselling=yes" in text
    assert ProcessState.objects.get(hall=setup.hall).mode == "busy"
    with pytest.raises(CommandError):
        call_command("rules_evaluate", "--hall", "nope", stdout=io.StringIO())


def test_demo_rules_load_against_the_demo_catalog(setup: Setup) -> None:
    """The demo's mode configuration and rules are valid for the demo catalog, and reloading replaces them."""
    for seed in CATALOG:
        BusinessType.objects.update_or_create(
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
            },
        )
    halls = [setup.hall, setup.other_hall]
    assert rules_demo_load(halls=halls) == 2 * len(DEMO_RULES)
    assert rules_demo_load(halls=halls) == 2 * len(DEMO_RULES)
    assert Rule.objects.count() == 2 * len(DEMO_RULES) and ModeConfig.objects.count() == 2
    assert evaluate_halls.call_local() == 2
