"""Ticket numbers: a 1-3 letter prefix and a sequence zero-padded to 3 digits (A001)."""

from __future__ import annotations

import re

_PREFIX_RE = re.compile(r"[A-Z]{1,3}")
_NUMBER_RE = re.compile(r"([A-Z]{1,3})([0-9]+)")


def format_ticket_number(prefix: str, seq: int) -> str:
    """``prefix`` + ``seq`` padded to 3 digits: A001 ... A999, then A1000."""
    if not isinstance(prefix, str) or _PREFIX_RE.fullmatch(prefix) is None:
        raise ValueError(f"prefix must be 1-3 uppercase ASCII letters, got {prefix!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError(f"seq must be an integer >= 1, got {seq!r}")
    return f"{prefix}{seq:03d}"


def parse_ticket_number(text: str) -> tuple[str, int]:
    """Inverse of :func:`format_ticket_number`; accepts lowercase and spaces (``" a 012"``)."""
    cleaned = "".join(text.split())
    if not cleaned.isascii():
        raise ValueError(f"not a ticket number: {text!r}")
    cleaned = cleaned.upper()
    match = _NUMBER_RE.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"not a ticket number: {text!r}")
    prefix, digits = match.groups()
    seq = int(digits)
    if seq < 1 or format_ticket_number(prefix, seq) != cleaned:
        raise ValueError(f"not a ticket number: {text!r}")
    return prefix, seq
