"""Shared fixtures for the database tests (the core tests under tests/core need none of these)."""

from __future__ import annotations

import os

import pytest

DB_TESTS = os.environ.get("DJANGO_SETTINGS_MODULE") is not None


if DB_TESTS:
    from tests.factories import Setup, make_setup

    @pytest.fixture
    def setup(db: None) -> Setup:
        return make_setup()

    @pytest.fixture
    def api(setup: Setup):  # type: ignore[no-untyped-def]
        from tests.factories import ApiClient

        return ApiClient()

    @pytest.fixture
    def keep_connections(monkeypatch: pytest.MonkeyPatch) -> None:
        """For tests that run a management command the way ``hallops`` does (``run_from_argv``): it closes every
        connection when it ends, which on a file SQLite or PostgreSQL test database would close the connection
        under the test's open transaction. The command's own work is unchanged."""
        from django.db import connections

        monkeypatch.setattr(connections, "close_all", lambda: None)
