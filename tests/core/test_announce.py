"""How calls are read aloud: digits one by one in Chinese, the hall's phrase template, and its validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.announce import (
    CHINESE_DIGITS,
    DEFAULT_PHRASE_ZH,
    PhraseProblem,
    call_phrase,
    call_text,
    phrase_problem,
    spoken_number,
)

prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3)
digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=6)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("A001", "A零零一"),
        ("B010", "B零一零"),
        ("G100", "G一零零"),
        ("A1000", "A一零零零"),
        ("VIP007", "VIP零零七"),
        ("H999", "H九九九"),
    ],
)
def test_spoken_number_reads_every_digit(number: str, spoken: str) -> None:
    """Each digit is read on its own (A001 is "A零零一", not "A一"); letters stay for the voice to spell."""
    assert spoken_number(number) == spoken


@given(prefixes, digit_strings)
def test_spoken_number_maps_digits_one_to_one_and_keeps_the_prefix(prefix: str, digits: str) -> None:
    """For any prefix and digits: the prefix is unchanged, each digit becomes exactly its Chinese digit."""
    spoken = spoken_number(prefix + digits)
    assert spoken.startswith(prefix)
    assert len(spoken) == len(prefix) + len(digits)
    assert spoken[len(prefix) :] == "".join(CHINESE_DIGITS[int(d)] for d in digits)
    assert not any(ch.isascii() and ch.isdigit() for ch in spoken)


@given(prefixes, digit_strings)
def test_spoken_number_can_be_read_back(prefix: str, digits: str) -> None:
    """Nothing is lost: mapping the Chinese digits back gives the original number."""
    back = spoken_number(prefix + digits).translate(str.maketrans(CHINESE_DIGITS, "0123456789"))
    assert back == prefix + digits


def test_default_phrase() -> None:
    """The hall default reads "请A零零一号到3号窗口": number digit by digit, counter in plain digits."""
    assert call_phrase(DEFAULT_PHRASE_ZH, "A001", 3) == "请A零零一号到3号窗口"
    assert call_phrase(DEFAULT_PHRASE_ZH, "E012", 12) == "请E零一二号到12号窗口"


def test_phrase_with_placeholders_in_another_order_and_repeated() -> None:
    """Placeholders may come in any order and more than once."""
    template = "{counter}号窗口请{number}号，{number}号请到{counter}号窗口"
    assert call_phrase(template, "B002", 7) == "7号窗口请B零零二号，B零零二号请到7号窗口"


@given(prefixes, digit_strings, st.integers(min_value=1, max_value=99))
def test_default_phrase_for_any_number(prefix: str, digits: str, counter: int) -> None:
    """For any number and counter the default phrase is 请 + spoken number + 号到 + counter + 号窗口."""
    assert call_phrase(DEFAULT_PHRASE_ZH, prefix + digits, counter) == (
        f"请{spoken_number(prefix + digits)}号到{counter}号窗口"
    )


def test_filled_values_are_not_expanded_again() -> None:
    """A value that looks like a placeholder is not filled a second time (one pass)."""
    assert call_phrase("{counter}/{number}", "{counter}", "{number}") == "{number}/{counter}"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (DEFAULT_PHRASE_ZH, None),
        ("Number {number}, please go to counter {counter}", None),
        ("", PhraseProblem.EMPTY),
        ("   ", PhraseProblem.EMPTY),
        ("请到{counter}号窗口", PhraseProblem.MISSING_NUMBER),
        ("请{number}号办理", PhraseProblem.MISSING_COUNTER),
        ("请{number}号到{counter}号窗口{name}", PhraseProblem.STRAY_BRACE),
        ("请{number}号到{counter}号窗口}", PhraseProblem.STRAY_BRACE),
        ("请{{number}}号到{counter}号窗口", PhraseProblem.STRAY_BRACE),
        ("请{ number }号到{counter}号窗口", PhraseProblem.MISSING_NUMBER),
        ("{number}{counter}" + "长" * 200, PhraseProblem.TOO_LONG),
    ],
)
def test_phrase_problem(template: str, problem: PhraseProblem | None) -> None:
    """A template needs {number} and {counter}, no other braces, and at most 200 characters."""
    assert phrase_problem(template) == problem


@given(st.text(max_size=60))
def test_a_valid_template_leaves_no_braces_once_filled(text: str) -> None:
    """Whatever the text around them, a template that passes validation has no braces left after filling."""
    template = text + "{number}" + text + "{counter}"
    if phrase_problem(template) is None:
        phrase = call_phrase(template, "A001", 3)
        assert "{" not in phrase
        assert "}" not in phrase
        assert "A零零一" in phrase


def test_call_text_keeps_the_printed_number() -> None:
    """On screen the number is shown as printed on the ticket; only the voice reads digits one by one."""
    assert call_text(DEFAULT_PHRASE_ZH, "A001", 3) == "请A001号到3号窗口"
    assert call_text("Number {number}, please go to counter {counter}", "B012", 7) == (
        "Number B012, please go to counter 7"
    )
