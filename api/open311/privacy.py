"""What leaves through the public façade never identifies a person: phone and ID-card numbers in any text are masked
(the reporter's own words never leave at all — see public.py)."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dXx])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dXx])")  # 18-digit 居民身份证号码


def masked(text: str | None) -> str | None:
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 12, text)  # the region code stays; birth date and serial go
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
