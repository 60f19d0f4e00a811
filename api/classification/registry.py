"""Model bundles on disk and the worker's hot-reloading classifier (versions and promotion: versions.py).

A bundle is a directory MODEL_DIR/versions/<name>/ holding `image_head.npz` (the trained linear head, may
be absent when no photos were labelled), `text.pkl` (the description classifier) and `manifest.json`.
The SHA-256 over its files is stored with the version and checked before anything is unpickled.

Workers ask the database which version is promoted before each job (one indexed lookup) and load a newly
promoted bundle on the spot: promotion takes effect without a restart. With nothing promoted the worker
runs the cold start: ImageNet signals for images, a text model seeded from the taxonomy.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from api.classification import text as text_model
from api.classification import versions
from api.classification.models import ModelVersion
from api.classification.text import TextModel, seed_texts
from api.classification.versions import HEAD_FILE, MANIFEST, TEXT_FILE
from api.db import Session
from api.events.service import Actor, record
from api.taxonomy import service as taxonomy

log = logging.getLogger(__name__)

COLD_START = versions.COLD_START
BACKBONE = "efficientnet-lite0"


@dataclass(frozen=True)
class ImageHead:
    """A linear softmax head over the trained 小类 (`classes`), and what it covers: the classes' centroids of
    L2-normalised backbone features and the least cosine similarity to one of them (`min_similarity`, picked on
    held-out photos at training) below which a photo is none of them and the head abstains. A bundle from before
    coverage was measured has none and always covers. `temperature` divides the logits: fitted on held-out photos
    so that the probabilities fused with the text's are calibrated (1.0 in a bundle from before calibration)."""

    classes: list[str]
    weight: np.ndarray  # (k, 1280)
    bias: np.ndarray  # (k,)
    centroids: np.ndarray | None = None  # (k, 1280), unit length
    min_similarity: float | None = None
    temperature: float = 1.0

    @staticmethod
    def _unit(features: np.ndarray) -> np.ndarray:
        f = features.astype(np.float32)
        return f / (np.linalg.norm(f) + 1e-6)  # trained on L2-normalised features

    def logits(self, features: np.ndarray) -> np.ndarray:
        return self.weight @ self._unit(features) + self.bias

    def predict(self, features: np.ndarray) -> dict[str, float]:
        z = self.logits(features) / self.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        return {self.classes[i]: float(p[i]) for i in np.argsort(p)[::-1]}

    def coverage(self, features: np.ndarray) -> float:
        """The photo's cosine similarity to the nearest trained class's centroid (1.0 without centroids)."""
        if self.centroids is None:
            return 1.0
        return float((self.centroids @ self._unit(features)).max())

    def covers(self, features: np.ndarray) -> bool:
        return self.min_similarity is None or self.coverage(features) >= self.min_similarity

    def dumps(self) -> bytes:
        buf = io.BytesIO()
        extra = {"temperature": np.float32(self.temperature)}
        if self.centroids is not None:
            extra |= {"centroids": self.centroids, "min_similarity": np.float32(self.min_similarity)}
        np.savez(buf, classes=np.asarray(self.classes), weight=self.weight, bias=self.bias, **extra)
        return buf.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> ImageHead:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            centroids = z["centroids"].astype(np.float32) if "centroids" in z.files else None
            floor = float(z["min_similarity"]) if "min_similarity" in z.files else None
            temperature = float(z["temperature"]) if "temperature" in z.files else 1.0
            return cls([str(c) for c in z["classes"]], z["weight"].astype(np.float32), z["bias"].astype(np.float32),
                       centroids, floor, temperature)


@dataclass(frozen=True)
class Classifier:
    version: str
    head: ImageHead | None
    text: TextModel | None  # None only in a cold start with no taxonomy loaded
    # 小类 this version learnt but auto-dispatched too seldom in its evaluation set to be judged (the promotion
    # gate's support): it suggests them, a person decides (api/classification/gate.py)
    withheld: frozenset[str] = frozenset()

    @property
    def image_trained(self) -> bool:
        return self.head is not None


# -- versions ----------------------------------------------------------------------------------------------
def save_bundle(name: str, head: ImageHead | None, text: TextModel, metrics: dict, created_by: int | None,
                operator: str | None = None) -> ModelVersion:
    """Write a bundle and its candidate version row (committed)."""
    directory = versions.model_root() / "versions" / name
    directory.mkdir(parents=True, exist_ok=False)
    files = {TEXT_FILE: text.dumps()}
    if head is not None:
        files[HEAD_FILE] = head.dumps()
    for filename, data in files.items():
        (directory / filename).write_bytes(data)
    digest = versions.digest(files)
    (directory / MANIFEST).write_text(json.dumps({"name": name, "backbone": BACKBONE, "sha256": digest,
                                                  "files": sorted(files), "metrics": metrics},
                                                 ensure_ascii=False, indent=2), "utf-8")
    version = ModelVersion(name=name, status="candidate", path=f"versions/{name}", sha256=digest, backbone=BACKBONE,
                           classes=head.classes if head else [], metrics=metrics, created_by=created_by)
    Session.add(version)
    Session.flush()
    record("model_version", version.id, "trained", Actor("staff", created_by) if created_by else Actor.system(),
           payload={"name": name, "summary": metrics.get("summary", {}), "operator": operator})
    return version






def load_bundle(version: ModelVersion) -> Classifier:
    files = versions.verified_files(version)  # checked before anything is unpickled
    head = ImageHead.loads(files[HEAD_FILE]) if HEAD_FILE in files else None
    withheld = frozenset((version.metrics or {}).get("withheld") or ())
    return Classifier(version.name, head, TextModel.loads(files[TEXT_FILE]), withheld)



# -- the worker's classifier ------------------------------------------------------------------------------
def current_categories() -> list[tuple[str, str, str]]:
    return [(c.code, c.name, c.major_name) for c in taxonomy.list_current()]


_divisions = sa.table("divisions", sa.column("name"))


def neutral_phrases() -> list[str]:
    """Phrases with no evidence of a 小类: the packaged list and the district's division names (read by name:
    the organisation package is not this one's to import), each also without its 街道 / 镇 / 社区 suffix."""
    names = Session.scalars(sa.select(_divisions.c.name)).all()
    short = [n.removesuffix(s) for n in names for s in ("街道", "镇", "社区", "区") if n.endswith(s)]
    return text_model.neutral_phrases() + [n for n in names + short if len(n) >= 2]


_cold_text: tuple[int, TextModel | None] | None = None


def cold_start() -> Classifier:
    """No promoted version: the text model seeded from the taxonomy (refitted when the taxonomy changes)."""
    global _cold_text
    categories = current_categories()
    neutral = neutral_phrases()
    fingerprint = hash((tuple(categories), tuple(neutral)))
    if _cold_text is None or _cold_text[0] != fingerprint:
        model = TextModel.fit(seed_texts(categories), [], neutral) if len(categories) >= 2 else None
        _cold_text = (fingerprint, model)
    return Classifier(COLD_START, None, _cold_text[1])


_lock = threading.Lock()
_loaded: Classifier | None = None


def classifier() -> Classifier:
    """The promoted classifier, reloaded when another version has been promoted since the last call."""
    global _loaded
    version = versions.promoted()
    wanted = version.name if version else COLD_START
    with _lock:
        if _loaded is None or _loaded.version != wanted:
            _loaded = load_bundle(version) if version else cold_start()
            log.info("classifier loaded", extra={"version": wanted})
        return _loaded


def forget() -> None:
    """Drop the cached classifier (tests; a taxonomy change picked up by the cold start)."""
    global _loaded
    with _lock:
        _loaded = None
