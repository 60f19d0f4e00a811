"""Model versions and per-photo predictions (the intake's decisions and thresholds: api/intake/models.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

MODEL_STATUSES = ("candidate", "promoted", "retired")


class ModelVersion(Base):
    """One trained bundle (image head + text model) on disk under MODEL_DIR, with its held-out metrics."""

    __tablename__ = "model_versions"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {MODEL_STATUSES}", name="status"),
        sa.Index("uq_model_versions_promoted", "status", unique=True,
                 postgresql_where=sa.text("status = 'promoted'"), sqlite_where=sa.text("status = 'promoted'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="candidate")
    path: Mapped[str] = mapped_column(sa.String(300))  # bundle directory, relative to MODEL_DIR
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the bundle's files: checked before loading
    backbone: Mapped[str] = mapped_column(sa.String(40))
    classes: Mapped[list] = mapped_column(sa.JSON)  # category codes the image head knows
    metrics: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhotoPrediction(Base):
    """What the image model said about one report photo (scores over 小类 codes, and its embedding)."""

    __tablename__ = "photo_predictions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"), unique=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    model_version: Mapped[str] = mapped_column(sa.String(40))  # "cold-start" or a ModelVersion.name
    backbone: Mapped[str] = mapped_column(sa.String(40))
    scores: Mapped[dict] = mapped_column(sa.JSON)  # top categories {code: probability}
    imagenet_top: Mapped[list] = mapped_column(sa.JSON)  # [[index, probability], ...] top 5
    embedding: Mapped[bytes] = mapped_column(sa.LargeBinary)  # 1280 float16, for training and similarity
    # the trained head's similarity to its nearest class; abstained: none of its classes (scores are then the
    # cold start's, and the decision leaves the photo to the text, as before training)
    abstained: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    coverage: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

