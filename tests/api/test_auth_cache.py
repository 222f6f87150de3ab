"""The per-process cache of token callers: fewer queries, and revocation still takes effect at once here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from hallops.accounts.models import ApiToken
from hallops.accounts.services import token_revoke
from hallops.api.auth import auth_cache_clear
from tests.factories import ApiClient, Setup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    auth_cache_clear()


@override_settings(HALLOPS_AUTH_CACHE_SECONDS=5)
def test_a_cached_token_costs_no_query(setup: Setup, api: ApiClient) -> None:
    """The second request with the same token does not read the token or the roles again."""
    assert api.get("/halls", as_user="agent1").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/halls", as_user="agent1").status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "accounts_apitoken" not in sql and "organisation_staffrole" not in sql


@override_settings(HALLOPS_AUTH_CACHE_SECONDS=5)
def test_revoking_in_this_process_takes_effect_at_once(setup: Setup, api: ApiClient) -> None:
    """A token revoked through the service is refused on the very next request, cache or not."""
    assert api.get("/halls", as_user="agent1").status_code == 200
    token_revoke(token=ApiToken.objects.get(user__username="agent1"))
    assert api.get("/halls", as_user="agent1").status_code == 401
