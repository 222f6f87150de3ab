"""Identity document validation.

Numbers are generated here with the published ISO 7064 MOD 11-2 algorithm
(weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 → X), never copied
from real people.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.identity import IdCheck, IdType, validate_id

AREA = "110101"  # 北京市东城区


def iso7064_mod11_2(first17: str) -> str:
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def resident(birth: str = "19900307", seq: str = "123", area: str = AREA) -> str:
    body = area + birth + seq
    return body + iso7064_mod11_2(body)


def wrong_check(number: str) -> str:
    right = number[-1]
    return number[:-1] + ("0" if right != "0" else "1")


def err(id_type: IdType, number: str, today: date | None = None) -> str | None:
    return validate_id(id_type, number, today=today).error


def test_weights_are_the_standard_ones() -> None:
    """Sanity check of the test's own algorithm: the MOD 11-2 weights are 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2."""
    assert [pow(2, 17 - i, 11) for i in range(17)] == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_valid_resident() -> None:
    """A generated 18-digit ID with the right check digit is accepted."""
    number = resident()
    assert validate_id(IdType.RESIDENT, number) == IdCheck(ok=True, normalized=number, error=None)


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)),
    seq=st.integers(0, 999),
)
def test_generated_residents_valid_and_wrong_digit_caught(birth: date, seq: int) -> None:
    """Every generated ID passes; changing its check digit gives "checksum"."""
    number = resident(birth.strftime("%Y%m%d"), f"{seq:03d}")
    assert err(IdType.RESIDENT, number, today=date(2025, 1, 1)) is None
    assert err(IdType.RESIDENT, wrong_check(number)) == "checksum"


def test_x_check_digit_normalised() -> None:
    """A check digit X typed as lowercase x is accepted and upper-cased."""
    seqs = (f"{s:03d}" for s in range(1000))
    number = next(n for n in (resident(seq=s) for s in seqs) if n.endswith("X"))
    check = validate_id(IdType.RESIDENT, " " + number.lower()[:6] + " " + number.lower()[6:] + " ")
    assert check.ok and check.normalized == number


def test_full_width_digits_normalised() -> None:
    """Full-width digits from a Chinese input method are accepted."""
    number = resident()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert validate_id(IdType.RESIDENT, full_width).normalized == number
    assert validate_id(IdType.RESIDENT, full_width).ok


@pytest.mark.parametrize("id_type", list(IdType))
def test_empty(id_type: IdType) -> None:
    """Blank input is "empty" for every type."""
    assert err(id_type, "   ") == "empty"


def test_resident_length() -> None:
    """17 or 19 characters are "length"."""
    assert err(IdType.RESIDENT, resident()[:-1]) == "length"
    assert err(IdType.RESIDENT, resident() + "1") == "length"


def test_resident_format() -> None:
    """Letters among the first 17 characters are "format"."""
    assert err(IdType.RESIDENT, "11010A199003071234") == "format"


def test_resident_impossible_birth_date() -> None:
    """A correct check digit over an impossible date (Feb 30) is "birth_date"."""
    assert err(IdType.RESIDENT, resident(birth="19900230")) == "birth_date"


def test_resident_future_birth_date() -> None:
    """A birth date after today is "birth_date"; on or before today it is fine."""
    number = resident(birth="20250302")
    assert err(IdType.RESIDENT, number, today=date(2025, 3, 1)) == "birth_date"
    assert err(IdType.RESIDENT, number, today=date(2025, 3, 2)) is None


def test_resident_unknown_area() -> None:
    """An area code that never existed is "format"."""
    assert err(IdType.RESIDENT, resident(area="999999")) == "format"


def test_old_resident_valid() -> None:
    """A 15-digit first-generation ID with a real 19YY date is accepted."""
    assert err(IdType.RESIDENT_OLD, AREA + "900307" + "123") is None


@pytest.mark.parametrize(
    ("number", "error"),
    [
        (AREA + "900307" + "12", "length"),
        (AREA + "900307" + "12A", "format"),
        (AREA + "900230" + "123", "birth_date"),
        (AREA + "901301" + "123", "birth_date"),
    ],
)
def test_old_resident_errors(number: str, error: str) -> None:
    """Old IDs: wrong length, non-digits and impossible dates are rejected with their code."""
    assert err(IdType.RESIDENT_OLD, number) == error


@pytest.mark.parametrize("number", ["H12345678", "M1234567890", "h 1234 5678"])
def test_hk_macao_valid(number: str) -> None:
    """H or M followed by 8 or 10 digits is accepted."""
    assert err(IdType.HK_MACAO_PERMIT, number) is None


@pytest.mark.parametrize(
    ("number", "error"),
    [("H1234567", "length"), ("X12345678", "format"), ("H1234567890A", "length"), ("H123456789A", "format")],
)
def test_hk_macao_errors(number: str, error: str) -> None:
    """Other HK/Macao permit numbers are rejected."""
    assert err(IdType.HK_MACAO_PERMIT, number) == error


def test_taiwan() -> None:
    """Taiwan permits: 8 digits accepted; 7 digits "length"; a letter "format"."""
    assert err(IdType.TAIWAN_PERMIT, "12345678") is None
    assert err(IdType.TAIWAN_PERMIT, "1234567") == "length"
    assert err(IdType.TAIWAN_PERMIT, "1234567A") == "format"


def test_foreign_old() -> None:
    """Old foreign permanent residence card: 3 letters + 12 digits."""
    assert err(IdType.FOREIGN_PERMANENT, "usa123456789012") is None
    assert err(IdType.FOREIGN_PERMANENT, "US1123456789012") == "format"


def test_foreign_new() -> None:
    """New 18-character foreign card starting with 9 uses the MOD 11-2 check digit."""
    body = "93" + "1840" + "19900307" + "123"
    number = body + iso7064_mod11_2(body)
    assert err(IdType.FOREIGN_PERMANENT, number) is None
    assert err(IdType.FOREIGN_PERMANENT, wrong_check(number)) == "checksum"
    other = "8" + body[1:]
    assert err(IdType.FOREIGN_PERMANENT, other + iso7064_mod11_2(other)) == "format"
    assert err(IdType.FOREIGN_PERMANENT, number[:-1]) == "length"


def test_passport() -> None:
    """Passports: 5-20 letters/digits."""
    assert err(IdType.PASSPORT, "e1234 5678") is None
    assert err(IdType.PASSPORT, "E123") == "length"
    assert err(IdType.PASSPORT, "E" * 21) == "length"
    assert err(IdType.PASSPORT, "E1234-567") == "format"
    assert err(IdType.PASSPORT, "É12345") == "format"
