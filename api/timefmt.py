"""Times are stored in UTC and shown in Asia/Shanghai."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import marshmallow as ma

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


def today() -> date:
    """Today's date in Guangzhou (what bills, reminders and reports count days in)."""
    return datetime.now(UTC).astimezone(SHANGHAI).date()


def wechat_time(value: datetime) -> str:
    """The `time` keyword format of subscribe messages, e.g. 2026年11月24日 15:01."""
    t = local(value)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


class LocalDateTime(ma.fields.DateTime):
    """Serialises an aware UTC datetime as ISO-8601 in Asia/Shanghai (+08:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(local(value), attr, obj, **kwargs)


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Month(ma.fields.Field):
    """"YYYY-MM" ↔ the month's first day (a billing period, a range of due months)."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = _MONTH.match(value) if isinstance(value, str) else None
        if not match:
            raise ma.ValidationError("must be a month as YYYY-MM")
        year = int(match[1])
        if not 2000 <= year <= 2199:
            raise ma.ValidationError("year out of range")
        return date(year, int(match[2]), 1)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%Y-%m")
