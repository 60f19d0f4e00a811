"""Model versions in the database and their bundles' checksums: what the web process may touch.

Listing and promoting a version reads files and hashes them; nothing is unpickled here, so the web process
never imports numpy's models, scikit-learn, onnxruntime or torch (the worker loads a promoted bundle through
api/classification/registry.py, checking the same checksum first).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from api.classification.errors import ModelIntegrityError, ModelVersionNotFound, PromotionRefused
from api.classification.models import ModelVersion
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record

HEAD_FILE, TEXT_FILE, MANIFEST = "image_head.npz", "text.pkl", "manifest.json"
COLD_START = "cold-start"  # no trained model: the text model seeded from the taxonomy (the way back from any version)


def model_root() -> Path:
    return Path(get_config().MODEL_DIR)


def digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def verified_files(version: ModelVersion) -> dict[str, bytes]:
    """The bundle's model files, read once and checked against the checksum recorded when it was trained."""
    directory = model_root() / version.path
    try:
        files = {p.name: p.read_bytes() for p in directory.iterdir() if p.name in (HEAD_FILE, TEXT_FILE)}
    except FileNotFoundError as exc:
        raise ModelIntegrityError(details={"name": version.name, "problem": "bundle missing"}) from exc
    if TEXT_FILE not in files:
        raise ModelIntegrityError(details={"name": version.name, "problem": "bundle missing"})
    if digest(files) != version.sha256:
        raise ModelIntegrityError(details={"name": version.name, "problem": "checksum mismatch"})
    return files


def promote(name: str, actor: Actor, operator: str | None = None, force_reason: str | None = None) -> ModelVersion:
    """Make `name` the version workers use; the previous one is retired (both in one unit of work). A bundle
    whose files are missing or changed since training is refused. `cold-start` retires the promoted version:
    workers go back to no trained model. `operator`: who ran the command, when the actor is not a staff account.
    The promotion gate's verdict (api/classification/gate.py, stored at training or `model evaluate`) must have
    passed against the version in production now, unless `force_reason` says why not (recorded)."""
    if name == COLD_START:
        return _to_cold_start(actor, operator)
    version = Session.scalar(sa.select(ModelVersion).where(ModelVersion.name == name).with_for_update())
    if version is None:
        raise ModelVersionNotFound(details={"name": name})
    verified_files(version)
    previous = Session.scalar(sa.select(ModelVersion).where(ModelVersion.status == "promoted").with_for_update())
    verdict = (version.metrics or {}).get("gate")
    if verdict is not None and not force_reason:
        production = previous.name if previous is not None else COLD_START
        if not verdict["passed"]:
            raise PromotionRefused(details={"reasons": verdict["reasons"], "compared_with": verdict["compared_with"]})
        if verdict["compared_with"] != production and previous is not version:
            raise PromotionRefused(details={"stale": True, "compared_with": verdict["compared_with"],
                                            "production": production,
                                            "reasons": [f"judged against {verdict['compared_with']}, production is "
                                                        f"{production}: run flask model evaluate {name}"]})
    if previous is not None and previous.id != version.id:
        previous.status = "retired"
        record("model_version", previous.id, "retired", actor, payload={"name": previous.name})
        Session.flush()  # the unique 'promoted' index allows one at a time
    version.status, version.promoted_at = "promoted", utcnow()
    record("model_version", version.id, "promoted", actor,
           payload={"name": name, "operator": operator, "forced": force_reason})
    Session.flush()
    return version


def _to_cold_start(actor: Actor, operator: str | None) -> ModelVersion:
    previous = Session.scalar(sa.select(ModelVersion).where(ModelVersion.status == "promoted").with_for_update())
    if previous is not None:
        previous.status = "retired"
        record("model_version", previous.id, "retired", actor,
               payload={"name": previous.name, "to": COLD_START, "operator": operator})
        Session.flush()
    now = utcnow()
    return ModelVersion(name=COLD_START, status="promoted", backbone="", classes=[], metrics={}, created_at=now,
                        promoted_at=now)  # not stored: the absence of a promoted version is the cold start


def promoted() -> ModelVersion | None:
    return Session.scalar(sa.select(ModelVersion).where(ModelVersion.status == "promoted"))


def get_version(name: str) -> ModelVersion:
    version = Session.scalar(sa.select(ModelVersion).where(ModelVersion.name == name))
    if version is None:
        raise ModelVersionNotFound(details={"name": name})
    return version


def list_versions() -> list[ModelVersion]:
    return list(Session.scalars(sa.select(ModelVersion).order_by(ModelVersion.id.desc())))
