"""What leaves through the public façade never identifies a person: phone and ID-card numbers in any text are masked
(the reporter's own words never leave at all — see public.py)."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")  # +86, 138-1234-5678
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})[- ]?(\d{4})(?!\d)")
# 18 characters, or the old 15 digits; not inside a word (a case number AJ… has 15 digits too)
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{11}[\dXx]|\d{9})(?![\dA-Za-z])")


def masked(text: str | None) -> str | None:
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)  # the region stays; the birth date goes
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
