"""Ticket numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.numbering import format_ticket_number, parse_ticket_number

prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3)


@pytest.mark.parametrize(
    ("prefix", "seq", "text"),
    [("A", 1, "A001"), ("A", 42, "A042"), ("A", 999, "A999"), ("A", 1000, "A1000"), ("VIP", 7, "VIP007")],
)
def test_format(prefix: str, seq: int, text: str) -> None:
    """The sequence is zero-padded to 3 digits and grows beyond 999."""
    assert format_ticket_number(prefix, seq) == text


@pytest.mark.parametrize("prefix", ["", "a", "ABCD", "A1", "Ä", "Ａ"])
def test_bad_prefix(prefix: str) -> None:
    """Prefixes other than 1-3 uppercase ASCII letters are rejected."""
    with pytest.raises(ValueError):
        format_ticket_number(prefix, 1)


@pytest.mark.parametrize("seq", [0, -1])
def test_bad_seq(seq: int) -> None:
    """Sequences below 1 are rejected."""
    with pytest.raises(ValueError):
        format_ticket_number("A", seq)


def test_parse_lenient_case_and_spaces() -> None:
    """Lowercase and spaces are accepted when parsing."""
    assert parse_ticket_number(" b 012 ") == ("B", 12)


@pytest.mark.parametrize("text", ["", "A", "001", "A01", "A0001", "A000", "ABCD001", "A-001", "A００1", "ı001"])
def test_parse_rejects_non_canonical(text: str) -> None:
    """Text that format_ticket_number would never produce is rejected."""
    with pytest.raises(ValueError):
        parse_ticket_number(text)


@given(prefix=prefixes, seq=st.integers(1, 10**6))
def test_round_trip(prefix: str, seq: int) -> None:
    """parse(format(p, n)) == (p, n), also after lowercasing."""
    text = format_ticket_number(prefix, seq)
    assert parse_ticket_number(text) == (prefix, seq)
    assert parse_ticket_number(text.lower()) == (prefix, seq)
