"""Device reads."""

import sqlalchemy as sa

from api.db import Session
from api.devices.models import Device


def by_code(code: str) -> Device | None:
    return Session.scalar(sa.select(Device).where(Device.code == code))


def list_devices(kind: str | None) -> list[Device]:
    query = sa.select(Device).order_by(Device.code)
    if kind:
        query = query.where(Device.kind == kind)
    return list(Session.scalars(query))
