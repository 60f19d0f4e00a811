"""A reporter's contact phone: mainland shapes read into one stored form, and masked for staff who need no more.

Stored forms: a mobile as its 11 digits (13812345678); a landline as area code, hyphen, number (020-12345678).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# 010 and 02x have two digits after the trunk 0, every other area code three; local numbers start with 2–9
_LANDLINE = re.compile(r"0(10|2\d|[3-9]\d{2})([2-9]\d{6,7})")


def normalise(raw: str) -> str | None:
    """The stored form of a mainland mobile or landline number as a person types it (spaces, hyphens,
    brackets, a +86 / 0086 prefix allowed), or None when it is not one."""
    digits = _SEPARATORS.sub("", raw)
    international = re.match(r"(\+86|0086)", digits)
    if international:
        digits = digits[international.end():]
        if digits[:1] not in ("", "1", "0"):
            digits = "0" + digits  # +86 20 1234 5678: the trunk 0 is dropped after a country code
    if _MOBILE.fullmatch(digits):
        return digits
    landline = _LANDLINE.fullmatch(digits)
    return f"0{landline[1]}-{landline[2]}" if landline else None


def masked(phone: str | None) -> str | None:
    """138****5678 for a mobile, 020-****5678 for a landline: enough to recognise it, not to call it."""
    if not phone:
        return None
    area, _, number = phone.rpartition("-")
    if area:
        return f"{area}-****{number[-4:]}"
    return f"{phone[:3]}****{phone[-4:]}"
