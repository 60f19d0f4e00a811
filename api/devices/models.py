"""Devices, camera captures, per-vehicle blind-spot tallies, sensor readings with hourly rollups, alert state."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

DEVICE_KINDS = ("camera", "sensor", "drone")


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (sa.CheckConstraint(f"kind IN {DEVICE_KINDS}", name="kind"),
                      sa.Index("ix_devices_kind_lat_lon", "kind", "lat", "lon"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(100))
    detects: Mapped[list] = mapped_column(sa.JSON)  # camera detections or sensor kinds it reports
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    grid_code: Mapped[str | None] = mapped_column(sa.ForeignKey("unit_grids.code"))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))
    secret_encrypted: Mapped[str] = mapped_column(sa.String(300))  # Fernet under a key derived from SECRET_KEY
    expected_interval_s: Mapped[int] = mapped_column(sa.Integer, default=3600)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    silent_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))  # open maintenance case
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Capture(Base):
    """One camera detection (with its snapshot); linked to the case it opened or joined."""

    __tablename__ = "captures"
    __table_args__ = (sa.Index("ix_captures_device_time", "device_id", "captured_at"),
                      sa.UniqueConstraint("device_id", "event_id", name="uq_captures_device_event"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"))
    event_id: Mapped[str] = mapped_column(sa.String(64))  # the device's own id: a resend is recognised
    detection: Mapped[str] = mapped_column(sa.String(32))
    label: Mapped[str | None] = mapped_column(sa.String(64))
    confidence: Mapped[float] = mapped_column(sa.Float)
    plate: Mapped[str | None] = mapped_column(sa.String(16))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VehicleAlertDay(Base):
    """Right-side blind-spot warnings of one vehicle on one (local) day; a case once past the threshold."""

    __tablename__ = "vehicle_alert_days"

    plate: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))


class SensorType(Base):
    """Thresholds with hysteresis: an alert opens above `alert_above` and clears below `clear_below`."""

    __tablename__ = "sensor_types"
    __table_args__ = (sa.CheckConstraint("clear_below <= alert_above", name="hysteresis"),)

    kind: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    unit: Mapped[str] = mapped_column(sa.String(16))
    alert_above: Mapped[float] = mapped_column(sa.Float)
    clear_below: Mapped[float] = mapped_column(sa.Float)
    category_code: Mapped[str] = mapped_column(sa.String(24))


class SensorReading(Base):
    __tablename__ = "sensor_readings"
    __table_args__ = (sa.Index("ix_sensor_readings_device_kind_time", "device_id", "kind", "measured_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(sa.Float)


class SensorRollup(Base):
    """Per device, kind and UTC hour: count, min, max, sum (mean = sum / count)."""

    __tablename__ = "sensor_rollups"

    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    n: Mapped[int] = mapped_column(sa.Integer)
    vmin: Mapped[float] = mapped_column(sa.Float)
    vmax: Mapped[float] = mapped_column(sa.Float)
    vsum: Mapped[float] = mapped_column(sa.Float)


class SensorState(Base):
    """The latest reading and alert state per sensor and kind (at most one alert case until it clears)."""

    __tablename__ = "sensor_states"

    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    last_value: Mapped[float] = mapped_column(sa.Float)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alerting: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
