"""Identity documents, validated as entered at the counter.

Input is normalised first: Unicode NFKC (full-width digits and letters from Chinese
input methods become ASCII), surrounding and inner whitespace removed, upper case.
Errors are short stable codes: "empty", "length", "format", "checksum", "birth_date".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum import numdb
from stdnum.cn import ric


class IdType(StrEnum):
    RESIDENT = "resident"  # 居民身份证, 18 digits with check digit
    RESIDENT_OLD = "resident_old"  # first-generation 15-digit ID
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证
    PASSPORT = "passport"


@dataclass(frozen=True, slots=True)
class IdCheck:
    ok: bool
    normalized: str
    error: str | None


EMPTY = "empty"
LENGTH = "length"
FORMAT = "format"
CHECKSUM = "checksum"
BIRTH_DATE = "birth_date"

_EARLIEST_BIRTH = date(1900, 1, 1)

_DIGITS17_CHECK = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS15 = re.compile(r"[0-9]{15}")
_HK_MACAO = re.compile(r"[HM](?:[0-9]{8}|[0-9]{10})")
_TAIWAN = re.compile(r"[0-9]{8}")
_FOREIGN_OLD = re.compile(r"[A-Z]{3}[0-9]{12}")
_FOREIGN_NEW = re.compile(r"9[0-9]{16}[0-9X]")
_PASSPORT = re.compile(r"[A-Z0-9]+")


def normalize_id(number: str) -> str:
    """NFKC, whitespace removed, upper case."""
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def mod11_2_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the 17 digits before it ("0"-"9" or "X")."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    return ric.calc_check_digit(first17 + "0")


def _area_known(area: str) -> bool:
    # Any period counts: the area code is where the number was first issued, which
    # may be a county created after the holder's birth year.
    info = {k: v for _part, props in numdb.get("cn/loc").info(area) for k, v in props.items()}
    return "county" in info


def _birth_date(year: int, month: int, day: int, today: date | None) -> date | None:
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    if born < _EARLIEST_BIRTH or (today is not None and born > today):
        return None
    return born


def _fail(normalized: str, error: str) -> IdCheck:
    return IdCheck(ok=False, normalized=normalized, error=error)


def _resident(n: str, today: date | None) -> str | None:
    if len(n) != 18:
        return LENGTH
    if _DIGITS17_CHECK.fullmatch(n) is None:
        return FORMAT
    if n[-1] != mod11_2_check_digit(n[:17]):
        return CHECKSUM
    if _birth_date(int(n[6:10]), int(n[10:12]), int(n[12:14]), today) is None:
        return BIRTH_DATE
    if not _area_known(n[:6]):
        return FORMAT
    return None


def _resident_old(n: str, today: date | None) -> str | None:
    if len(n) != 15:
        return LENGTH
    if _DIGITS15.fullmatch(n) is None:
        return FORMAT
    if _birth_date(1900 + int(n[6:8]), int(n[8:10]), int(n[10:12]), today) is None:
        return BIRTH_DATE
    return None


def _hk_macao(n: str) -> str | None:
    if len(n) not in (9, 11):
        return LENGTH
    return None if _HK_MACAO.fullmatch(n) else FORMAT


def _taiwan(n: str) -> str | None:
    # Current cards carry 8 digits; older 10-character booklets have all expired.
    if len(n) != 8:
        return LENGTH
    return None if _TAIWAN.fullmatch(n) else FORMAT


def _foreign_permanent(n: str) -> str | None:
    if len(n) == 15:
        return None if _FOREIGN_OLD.fullmatch(n) else FORMAT
    if len(n) == 18:
        if _FOREIGN_NEW.fullmatch(n) is None:
            return FORMAT
        return None if n[-1] == mod11_2_check_digit(n[:17]) else CHECKSUM
    return LENGTH


def _passport(n: str) -> str | None:
    if not 5 <= len(n) <= 20:
        return LENGTH
    return None if n.isascii() and _PASSPORT.fullmatch(n) else FORMAT


def validate_id(id_type: IdType, number: str, *, today: date | None = None) -> IdCheck:
    """Check a document number of the given type; ``today`` bounds birth dates when given."""
    normalized = normalize_id(number)
    if not normalized:
        return _fail(normalized, EMPTY)
    id_type = IdType(id_type)
    error: str | None
    if id_type is IdType.RESIDENT:
        error = _resident(normalized, today)
    elif id_type is IdType.RESIDENT_OLD:
        error = _resident_old(normalized, today)
    elif id_type is IdType.HK_MACAO_PERMIT:
        error = _hk_macao(normalized)
    elif id_type is IdType.TAIWAN_PERMIT:
        error = _taiwan(normalized)
    elif id_type is IdType.FOREIGN_PERMANENT:
        error = _foreign_permanent(normalized)
    else:
        error = _passport(normalized)
    if error is not None:
        return _fail(normalized, error)
    return IdCheck(ok=True, normalized=normalized, error=None)
