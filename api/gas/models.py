"""Gas-safety household inspection (入户安检): gas users on the premises register, inspection cycles, visit tasks,
visits as the field app sends them, checklist answers, hazards and the photos the app uploads first."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

USER_TYPES = ("residential", "non_residential", "catering")  # 居民, 非居民 (商业/工业), 餐饮 (incl. 单位饭堂)
SUPPLIES = ("pipeline", "lpg")  # 管道燃气, 瓶装液化气
TASK_KINDS = ("periodic", "reinspection")
TASK_STATUSES = ("open", "assigned", "done", "refused", "taken_over", "cancelled")
LIVE_TASK = ("open", "assigned", "taken_over")
OUTCOMES = ("passed", "hazards", "refused", "nobody_home")
VISIT_STATES = ("applied", "conflict")  # a conflict is kept for the gas supervisor, never applied over newer facts
RESULTS = ("pass", "fail", "na")
MEASURE_NAMES = {"shut_valve": "关阀", "ventilate": "通风", "evacuate": "疏散"}  # the inspector's on-site measures
MEASURES = tuple(MEASURE_NAMES)
HAZARD_STATUSES = ("open", "rectified")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class GasUser(Base):
    """A premises that uses gas: its supply, supplier, type and where it stands in its inspection cycle."""

    __tablename__ = "gas_users"
    __table_args__ = (sa.CheckConstraint(_in("user_type", USER_TYPES), name="user_type"),
                      sa.CheckConstraint(_in("supply", SUPPLIES), name="supply"),
                      sa.Index("ix_gas_users_due", "next_due_on", "id", postgresql_where=sa.text("active"),
                               sqlite_where=sa.text("active")),
                      sa.Index("ix_gas_users_street", "street_code", "grid_code"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 燃气户号
    meter_no: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"))
    street_code: Mapped[str] = mapped_column(sa.String(12))
    grid_code: Mapped[str | None] = mapped_column(sa.String(32))
    user_type: Mapped[str] = mapped_column(sa.String(16))
    supply: Mapped[str] = mapped_column(sa.String(12))
    supplier: Mapped[str] = mapped_column(sa.String(64))
    contact_name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str] = mapped_column(sa.String(20))
    # the gas company's point of the user (its meter), WGS-84, when the import gives one: it wins over the premises'
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    last_inspected_on: Mapped[date | None] = mapped_column(sa.Date)
    next_due_on: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GasAppliance(Base):
    __tablename__ = "gas_appliances"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gas_user_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))  # stove, water_heater, wall_boiler, oven, other
    installed_on: Mapped[date | None] = mapped_column(sa.Date)
    flame_failure: Mapped[bool | None] = mapped_column(sa.Boolean)  # 熄火保护


class GasCycle(Base):
    """The inspection cycle per user type, in months (configuration: Guangzhou's clause is unconfirmed)."""

    __tablename__ = "gas_cycles"
    __table_args__ = (sa.CheckConstraint("months BETWEEN 1 AND 60", name="months_range"),)

    user_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    months: Mapped[int] = mapped_column(sa.SmallInteger)
    source: Mapped[str] = mapped_column(sa.String(200))
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GasTask(Base):
    """One visit to make: a periodic inspection, or the re-inspection of a hazard. `version` changes whenever a
    supervisor reassigns it, so a visit the field app recorded against an older assignment is a conflict."""

    __tablename__ = "gas_tasks"
    __table_args__ = (sa.CheckConstraint(_in("kind", TASK_KINDS), name="kind"),
                      sa.CheckConstraint(_in("status", TASK_STATUSES), name="status"),
                      sa.CheckConstraint("booked_slot IS NULL OR booked_slot IN ('am', 'pm')", name="booked_slot"),
                      sa.Index("uq_gas_tasks_live_periodic", "gas_user_id", unique=True,
                               postgresql_where=sa.text("kind = 'periodic' AND status IN ('open', 'assigned', "
                                                        "'taken_over')"),
                               sqlite_where=sa.text("kind = 'periodic' AND status IN ('open', 'assigned', "
                                                    "'taken_over')")),
                      # the day list: an inspector's assigned tasks in (due_on, id) order, the first 40 read off it
                      sa.Index("ix_gas_tasks_inspector", "inspector_id", "status", "due_on", "id"),
                      sa.Index("ix_gas_tasks_open", "street_code", "due_on",
                               postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gas_user_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_users.id"))
    street_code: Mapped[str] = mapped_column(sa.String(12))
    grid_code: Mapped[str | None] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))
    hazard_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # a re-inspection: the hazard it looks at
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    inspector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    misses: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # nobody home
    booked_for: Mapped[date | None] = mapped_column(sa.Date)  # the day the resident booked (or moved to)
    booked_slot: Mapped[str | None] = mapped_column(sa.String(2))  # am | pm
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the advance notice went out
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GasVisit(Base):
    """A visit as the field app recorded it (its own id, made offline), applied to its task or kept as a conflict."""

    __tablename__ = "gas_visits"
    __table_args__ = (sa.CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
                      sa.CheckConstraint(_in("state", VISIT_STATES), name="state"),
                      sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_tasks.id"), index=True)
    task_version: Mapped[int] = mapped_column(sa.Integer)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    gas_user_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_users.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(12))
    state: Mapped[str] = mapped_column(sa.String(12))
    conflict: Mapped[str | None] = mapped_column(sa.String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(sa.Float)  # the check-in, WGS-84 (converted from what the app sent)
    lon: Mapped[float] = mapped_column(sa.Float)
    coord_system_in: Mapped[str | None] = mapped_column(sa.String(8))  # the app's datum (NULL: before 0023)
    distance_m: Mapped[float | None] = mapped_column(sa.Float)  # from the gas user's (or premises') point
    override_reason: Mapped[str | None] = mapped_column(sa.String(200))  # checked in beyond the tolerance
    checklist_version: Mapped[str] = mapped_column(sa.String(16))
    signature_media_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    measures: Mapped[list] = mapped_column(sa.JSON, default=list)  # on-site measures taken: codes of MEASURES
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)  # the resident's 1–5, once
    rating_comment: Mapped[str | None] = mapped_column(sa.String(200))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GasVisitItem(Base):
    __tablename__ = "gas_visit_items"
    __table_args__ = (sa.CheckConstraint(_in("result", RESULTS), name="result"),)

    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_visits.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    result: Mapped[str] = mapped_column(sa.String(4))
    photo_media_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str | None] = mapped_column(sa.String(200))


class GasHazard(Base):
    """A failed checklist item at a gas user: its level, its rectification deadline, its case in the engine."""

    __tablename__ = "gas_hazards"
    __table_args__ = (sa.CheckConstraint("level IN (1, 2, 3)", name="level"),
                      sa.CheckConstraint(_in("status", HAZARD_STATUSES), name="status"),
                      sa.Index("ix_gas_hazards_open", "gas_user_id", "item_code",
                               postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gas_user_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_users.id"))
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_visits.id"))
    item_code: Mapped[str] = mapped_column(sa.String(32))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    deadline_on: Mapped[date] = mapped_column(sa.Date)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rectified_visit_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    # a leak: the alert to the gas company's 24-hour repair line (pending → sent | failed), by a retried job
    repair_alert: Mapped[str | None] = mapped_column(sa.String(8))
    repair_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GasPhoto(Base):
    """A photo the field app uploaded ahead of its batch, under the app's own id (uploads are idempotent)."""

    __tablename__ = "gas_photos"

    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    media_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GasBadge(Base):
    """An inspector's badge: the day it was issued (its QR carries that day, so it expires GAS_BADGE_VALID_DAYS
    later and a newer badge replaces it) and the photo the street's gas supervisor uploaded."""

    __tablename__ = "gas_badges"

    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    issued_on: Mapped[date] = mapped_column(sa.Date)
    photo_media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id"))
    photo_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    photo_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GasBinding(Base):
    """A citizen's link to a gas user (户号 or meter number + the contact's name or phone's last four digits)."""

    __tablename__ = "gas_bindings"

    gas_user_id: Mapped[int] = mapped_column(sa.ForeignKey("gas_users.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
