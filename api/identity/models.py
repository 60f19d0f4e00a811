"""User (citizen or staff) and the roles a staff member holds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, BigId, UTCDateTime, utcnow
from api.roles import Role


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('citizen', 'staff')", name="kind"),
        sa.CheckConstraint("(kind = 'citizen' AND openid IS NOT NULL) OR (kind = 'staff' AND username IS NOT NULL)",
                           name="identity_present"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    openid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    display_name: Mapped[str] = mapped_column(sa.String(64), default="")
    # a citizen's own nickname (WeChat's 头像昵称填写, sent by PUT /me/profile): how staff see them
    nickname: Mapped[str | None] = mapped_column(sa.String(32))
    # Staff scope: a street/town (division) or a department; NULL both = district-wide.
    scope_division_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))
    scope_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # an access token is valid only in the epoch it was issued in: signing out moves the epoch on
    token_epoch: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="select")  # citizens: no query

    @property
    def roles(self) -> frozenset[Role]:
        if self.kind == "citizen":
            return frozenset({Role.CITIZEN})
        return frozenset(Role(r.role) for r in self.role_rows)

    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    @property
    def is_district_wide(self) -> bool:
        return self.scope_division_code is None and self.scope_department_id is None


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class FieldPosition(Base):
    """A field staff member's last reported position (WGS-84) and duty state."""

    __tablename__ = "field_positions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    on_duty: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
