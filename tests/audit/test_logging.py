"""Logs never carry raw phone or ID numbers."""

from __future__ import annotations

import logging

from django.conf import settings

from hallops.audit.logging import MaskPiiFilter


def test_filter_masks_phone_numbers_in_formatted_messages() -> None:
    """A phone number passed as a log argument is masked in the final message."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sms to %s sent", ("13912345678",), None)
    assert MaskPiiFilter().filter(record)
    assert record.getMessage() == "sms to 139****5678 sent"


def test_every_configured_handler_masks() -> None:
    """Each handler in the logging configuration has the masking filter."""
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("mask_pii" in h.get("filters", []) for h in handlers.values())
