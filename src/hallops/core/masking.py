"""Masking of personal data for display and logs.

Masks keep the length of the value.  Values of 5 characters or more are never
returned unchanged (short values are masked harder, with fewer characters kept).
"""

from __future__ import annotations

import re

_MASK = "*"


def _mask_middle(value: str, head: int, tail: int) -> str:
    n = len(value)
    if n < head + tail + 4:
        # Short value: mask at least half of it, keep the rest split tail-first.
        keep = n - (n + 1) // 2
        tail = min(tail, (keep + 1) // 2)
        head = keep - tail
    return value[:head] + _MASK * (n - head - tail) + value[n - tail :]


def mask_phone(phone: str) -> str:
    """``13812341234`` -> ``138****1234``: first 3 and last 4 kept, fewer when short."""
    return _mask_middle(phone, 3, 4)


def mask_id(number: str) -> str:
    """``110101199003071234`` -> ``110***********1234``: first 3 and last 4 kept."""
    return _mask_middle(number, 3, 4)


def mask_name(name: str) -> str:
    """``张三丰`` -> ``张**``: the first character kept (a single character is masked)."""
    name = name.strip()
    if len(name) <= 1:
        return _MASK * len(name)
    return name[0] + _MASK * (len(name) - 1)


# Resident IDs (18: 17 digits + digit/X; 15 digits, first generation) and the old
# foreign permanent residence card (3 letters + 12 digits), not part of a longer
# digit run.
_ID_RE = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])|(?<![A-Za-z])[A-Za-z]{3}[0-9]{12}(?![0-9])")
# Mainland mobile numbers, optionally +86/86-prefixed and split as 3-4-4 with spaces
# or hyphens; not part of a longer digit run.
_PHONE_RE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4})(?![0-9])")


def _mask_phone_match(match: re.Match[str]) -> str:
    whole, phone = match.group(0), match.group(1)
    start = match.start(1) - match.start(0)
    digits = [c for c in phone if c.isdigit()]
    masked = iter(mask_phone("".join(digits)))
    rebuilt = "".join(next(masked) if c.isdigit() else c for c in phone)
    return whole[:start] + rebuilt


def mask_text(text: str) -> str:
    """Mask mobile numbers and ID numbers found anywhere in free text (logs, URLs)."""
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return _PHONE_RE.sub(_mask_phone_match, text)
