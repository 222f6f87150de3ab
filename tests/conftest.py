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
