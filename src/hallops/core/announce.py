"""Call announcements: how a ticket number is read aloud, and the hall's phrase template.

The hall display speaks each call in Chinese. A ticket number is read digit by digit ("A001" → "A零零一",
never "A一"), letters are kept as they are for the voice to spell. The hall's template places the number and
the counter: "请{number}号到{counter}号窗口" → "请A零零一号到3号窗口". The counter stays in plain digits, so the
voice says "3号窗口" ("三号窗口") and "12号窗口" ("十二号窗口"), the way halls announce windows.

``static/hallops/display.js`` applies the same rule in the browser; an end-to-end test compares the two.
"""

from __future__ import annotations

import re
from enum import StrEnum

CHINESE_DIGITS = "零一二三四五六七八九"
PLACEHOLDERS = ("number", "counter")
PHRASE_MAX_LENGTH = 200
DEFAULT_PHRASE_ZH = "请{number}号到{counter}号窗口"

_DIGIT_TO_ZH = str.maketrans("0123456789", CHINESE_DIGITS)
_PLACEHOLDER_RE = re.compile(r"\{(number|counter)\}")


def spoken_number(number: str) -> str:
    """The ticket number as it is read aloud: each ASCII digit becomes its Chinese digit, the rest is kept.

    >>> spoken_number("A001")
    'A零零一'
    """
    return number.translate(_DIGIT_TO_ZH)


def call_phrase(template: str, number: str, counter: int | str) -> str:
    """The spoken call: ``{number}`` read digit by digit, ``{counter}`` in plain digits; other text kept.

    Both placeholders are filled in one pass, so text that a filled-in value brings is never read as a
    placeholder again.
    """
    values = {"number": spoken_number(number), "counter": str(counter)}
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)


class PhraseProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    MISSING_NUMBER = "missing_number"
    MISSING_COUNTER = "missing_counter"
    STRAY_BRACE = "stray_brace"


def phrase_problem(template: str) -> PhraseProblem | None:
    """Why a phrase template cannot be used, or None: it needs ``{number}`` and ``{counter}`` and no other braces."""
    if not template.strip():
        return PhraseProblem.EMPTY
    if len(template) > PHRASE_MAX_LENGTH:
        return PhraseProblem.TOO_LONG
    if "{number}" not in template:
        return PhraseProblem.MISSING_NUMBER
    if "{counter}" not in template:
        return PhraseProblem.MISSING_COUNTER
    rest = _PLACEHOLDER_RE.sub("", template)
    if "{" in rest or "}" in rest:
        return PhraseProblem.STRAY_BRACE
    return None


def call_text(template: str, number: str, counter: int | str) -> str:
    """The call as written on screen: the same template with the number as printed ("请A001号到3号窗口")."""
    values = {"number": number, "counter": str(counter)}
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)
