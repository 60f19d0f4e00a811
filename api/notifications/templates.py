"""Subscribe-message value rules (WeChat answers 47003 when a value breaks them) and our templates."""

from __future__ import annotations

import re

# Limits per keyword type (subscribeMessage.send). Free-text kinds are shortened; the others must fit.
MAX_CHARS = {"amount": 14, "thing": 20,
             "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "phone_number": 17,
             "car_number": 8, "name": 10, "phrase": 5}
_TRUNCATE = {"thing", "name"}
_PATTERNS = {
    "number": re.compile(r"^\d+(\.\d+)?$"),
    "amount": re.compile(r"^[¥￥]?\d{1,12}(\.\d{1,2})?元?$"),
    "letter": re.compile(r"^[A-Za-z]+$"),
    "character_string": re.compile(r"^[0-9A-Za-z\-_.:/#@+]+$"),
    "phrase": re.compile(r"^[\u4e00-\u9fff]+$"),
    "time": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2}(:\d{2})?)?(~.+)?$"),
    "date": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2}(:\d{2})?)?$"),
}


class TemplateValueError(ValueError):
    pass


def keyword_kind(key: str) -> str:
    return key.rstrip("0123456789")


def value_for(key: str, value: str) -> str:
    """Fit a value to its keyword's rule: shorten free text, refuse what cannot be fixed."""
    kind = keyword_kind(key)
    value = value.strip()
    limit = MAX_CHARS.get(kind)
    if kind in _TRUNCATE and limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    if limit and len(value) > limit:
        raise TemplateValueError(f"{key}: {value!r} is longer than {limit} characters")
    pattern = _PATTERNS.get(kind)
    if pattern and not pattern.match(value):
        raise TemplateValueError(f"{key}: {value!r} does not match the {kind} rule")
    if not value:
        raise TemplateValueError(f"{key}: empty value")
    return value


def build(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {key: {"value": value_for(key, value)} for key, value in values.items()}


# 案件进度提醒 — keyword layout of the template the office registers in the mini-program console.
REPORT_PROGRESS_KEYS = ("character_string1", "thing2", "phrase3", "time4", "thing5")

# 缴费提醒 — 户号, 费用名称, 金额, 缴费截止日期, 温馨提示
BILL_REMINDER_KEYS = ("character_string1", "thing2", "amount3", "date4", "thing5")

# 入户安检通知 — 燃气户号, 地址, 上门日期, 安检员, 温馨提示
GAS_VISIT_KEYS = ("character_string1", "thing2", "date3", "thing4", "thing5")
