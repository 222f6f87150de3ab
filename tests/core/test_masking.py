"""Masking of personal data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.masking import mask_id, mask_name, mask_phone, mask_text


def test_mask_phone_mobile() -> None:
    """An 11-digit mobile keeps its first 3 and last 4 digits."""
    assert mask_phone("13812341234") == "138****1234"


def test_mask_id_18() -> None:
    """An 18-character ID keeps its first 3 and last 4 characters."""
    assert mask_id("110101199003071234") == "110***********1234"


def test_mask_id_15() -> None:
    """A 15-digit ID keeps its first 3 and last 4 characters."""
    assert mask_id("110101900307123") == "110********7123"


@pytest.mark.parametrize(
    ("raw", "masked"), [("", ""), ("1", "*"), ("1234", "1**4"), ("12345", "1***5"), ("1234567", "1****67")]
)
def test_mask_phone_short(raw: str, masked: str) -> None:
    """Short values keep fewer characters."""
    assert mask_phone(raw) == masked


@given(st.text(alphabet="0123456789", min_size=5, max_size=30))
def test_mask_never_returns_raw(value: str) -> None:
    """For 5 characters or more the mask always hides something and keeps the length."""
    for masked in (mask_phone(value), mask_id(value)):
        assert len(masked) == len(value)
        assert masked != value
        assert masked.count("*") >= min(4, len(value) // 2)


def test_mask_name() -> None:
    """A name keeps only its first character."""
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"


def test_mask_text_phone_in_log_line() -> None:
    """A mobile number inside a log line is masked."""
    assert mask_text("sms sent to 13812341234 ok") == "sms sent to 138****1234 ok"


def test_mask_text_phone_in_url() -> None:
    """Mobile and ID numbers in URL query strings are masked."""
    assert mask_text("/api/customers?phone=13912345678&id=11010119900307123X") == (
        "/api/customers?phone=139****5678&id=110***********123X"
    )


def test_mask_text_prefixed_and_separated_phone() -> None:
    """+86-prefixed and 3-4-4 separated mobiles are masked, keeping the separators."""
    assert mask_text("tel +86 138-1234-1234") == "tel +86 138-****-1234"
    assert mask_text("8613812341234") == "86138****1234"


def test_mask_text_old_id() -> None:
    """A 15-digit old ID is masked."""
    assert mask_text("id 110101900307123.") == "id 110********7123."


def test_mask_text_leaves_other_numbers() -> None:
    """Numbers that are neither mobiles nor IDs (12 digits, landlines, ticket numbers) stay."""
    text = "ticket A012 order 123456789012 call 010-12345678 at 1700000000"
    assert mask_text(text) == text


def test_mask_text_not_inside_longer_digit_run() -> None:
    """An 11-digit mobile pattern inside a longer digit run (e.g. a 19-digit card) is not partially masked."""
    text = "6222021234567890123"
    assert mask_text(text) == text


@given(
    prefix=st.text(alphabet="abc =&/?:", max_size=5),
    second=st.sampled_from("3456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    suffix=st.text(alphabet="abc =&/?:", max_size=5),
)
def test_mask_text_removes_any_mobile(prefix: str, second: str, rest: str, suffix: str) -> None:
    """No mobile number survives mask_text in text around it."""
    phone = "1" + second + rest
    out = mask_text(prefix + phone + suffix)
    assert phone not in out
    assert out == prefix + mask_phone(phone) + suffix
