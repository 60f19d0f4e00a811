"""Media: one stored file with its kind, owner, content hash and derivatives."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow


class MediaKind(StrEnum):
    REPORT_PHOTO = "report_photo"
    AFTER_PHOTO = "after_photo"
    VERIFICATION_PHOTO = "verification_photo"
    CAMERA_SNAPSHOT = "camera_snapshot"
    SIGNATURE = "signature"
    GAS_PHOTO = "gas_photo"  # a gas inspector's evidence or a resident's signature, uploaded ahead of its visit


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (
        sa.Index("ix_media_owner", "owner_type", "owner_id", "id"),
        sa.Index("ix_media_check_pending", "id", postgresql_where=sa.text("content_check = 'pending'"),
                 sqlite_where=sa.text("content_check = 'pending'")),
        sa.Index("ix_media_underived", "id", postgresql_where=sa.text("derived_at IS NULL"),
                 sqlite_where=sa.text("derived_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    owner_type: Mapped[str] = mapped_column(sa.String(32))
    owner_id: Mapped[int] = mapped_column(sa.BigInteger)
    uploaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    display_key: Mapped[str | None] = mapped_column(sa.String(200))
    thumb_key: Mapped[str | None] = mapped_column(sa.String(200))
    # Facts read from EXIF before it was stripped from every stored copy.
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exif_lat: Mapped[float | None] = mapped_column(sa.Float)
    exif_lon: Mapped[float | None] = mapped_column(sa.Float)
    round: Mapped[int | None] = mapped_column(sa.SmallInteger)  # a case photo: the result round it belongs to
    # imgSecCheck of a citizen's photo, by a job: pending | pass | review | risky | unchecked
    content_check: Mapped[str] = mapped_column(sa.String(16), default="pass")
    content_check_attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    content_check_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # display and thumb copies made (or given up on: keys left NULL, links serve the original); until then the
    # row is the derivative job's work, leased by derive_after, tried derive_attempts times
    derived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    derive_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    derive_attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def key_for(self, variant: str) -> str:
        if variant == "display" and self.display_key:
            return self.display_key
        if variant == "thumb" and self.thumb_key:
            return self.thumb_key
        return self.storage_key

    def content_type_for(self, variant: str) -> str:
        return self.content_type if self.key_for(variant) == self.storage_key else "image/jpeg"
