"""Validators shared by extraction, the rules and the fixture generator: what makes a value well-formed.

- 公民身份号码 (GB 11643-1999): :func:`id_check_digit` (ISO 7064 MOD 11-2 over the first 17 digits),
  :func:`id_valid` (18 characters, check digit right), :func:`id_number_ok` (and a real birth date),
  :func:`id_birth` and :func:`id_gender` (what the number encodes).
- Dates: :func:`plausible_date`, the years a date read from a dossier may fall in (a 落款 date of
  1900 or 2250 is a misreading, not a date).

Extraction confirms a candidate with them (a pattern found 18 digits; is it an ID number?), the
consistency rules judge a stated number with them, and the fixtures make valid and invalid numbers
with the same arithmetic, so the three can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re

#: Weights of the first 17 digits and the check character by remainder (GB 11643-1999).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
#: Years a date read from a dossier may fall in.
FIRST_YEAR, LAST_YEAR = 1949, 2100


def id_check_digit(first17: str) -> str:
    """The check character of the first 17 digits of a 公民身份号码 (``0``–``9`` or ``X``)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_valid(number: str) -> bool:
    """An 18-character 公民身份号码 whose check character is right (spaces around, lower-case x allowed)."""
    n = number.strip().upper()
    return bool(_ID_SHAPE.fullmatch(n)) and id_check_digit(n[:17]) == n[17]


def id_birth(number: str) -> dt.date | None:
    """The birth date the number encodes (digits 7–14), if it is a real date."""
    n = number.strip()
    try:
        return dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except (ValueError, IndexError):
        return None


def id_number_ok(number: str) -> bool:
    """:func:`id_valid` and a real birth date: what extraction accepts as a 公民身份号码."""
    return id_valid(number) and id_birth(number) is not None


def id_gender(number: str) -> str | None:
    """男 / 女 from the 17th digit (odd: 男) of an 18-character number, else None."""
    n = number.strip()
    if len(n) != 18 or not n[16].isdigit():
        return None
    return "男" if int(n[16]) % 2 else "女"


def plausible_date(value: dt.date) -> bool:
    """Whether a date read from a dossier lies in the years such documents can bear."""
    return FIRST_YEAR <= value.year <= LAST_YEAR
