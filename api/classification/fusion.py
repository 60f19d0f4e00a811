"""Combine the image, text and reporter-hint signals into one distribution over 小类 (pure, no I/O).

Log-linear pooling: log p(c) = Σ_s w_s · log(p_s(c) + ε) + log prior(c), renormalised. Agreeing signals
sharpen the result, a missing or weak one barely moves it. The cold-start image signal (ImageNet classes
mapped to 小类) gets a small weight; a trained head a full one. The reporter's hint multiplies the prior of
the 小类 it names.

`supported` is the honesty rule: the image alone decides nothing until a head is trained, so an automatic
decision needs its top-1 to be the text model's top-1, the trained image head's top-1, or a hinted 小类.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

W_IMAGE_TRAINED = 1.0
W_IMAGE_COLD = 0.35
W_TEXT = 1.0
HINT_FACTOR = 4.0
EPS = 1e-3


@dataclass(frozen=True)
class Combined:
    scores: dict[str, float]  # normalised, highest first
    top3: list[tuple[str, float]]
    confidence: float
    supported: bool
    signals: dict


def _top1(dist: dict[str, float] | None) -> str | None:
    return max(dist, key=dist.get) if dist else None


def combine(image: dict[str, float] | None, image_trained: bool, text: dict[str, float] | None,
            hints: tuple[str, ...], universe: set[str]) -> Combined:
    sources = []
    if image:
        sources.append((image, W_IMAGE_TRAINED if image_trained else W_IMAGE_COLD))
    if text:
        sources.append((text, W_TEXT))
    codes = set(universe) | set(hints) | {c for dist, _ in sources for c in dist}
    logs = {}
    for code in codes:
        value = sum(w * math.log(dist.get(code, 0.0) + EPS) for dist, w in sources)
        if code in hints:
            value += math.log(HINT_FACTOR / len(hints))
        logs[code] = value
    peak = max(logs.values())
    raw = {c: math.exp(v - peak) for c, v in logs.items()}
    total = sum(raw.values())
    # ties (no signal on them) in code order: the same suggestions in every process
    scores = dict(sorted(((c, v / total) for c, v in raw.items()), key=lambda kv: (-kv[1], kv[0])))
    top3 = list(scores.items())[:3]
    best = top3[0][0] if top3 else None
    supported = best is not None and (
        best == _top1(text) or (image_trained and best == _top1(image)) or best in hints)
    signals = {"image": {"top": _top1(image), "trained": image_trained} if image else None,
               "text": {"top": _top1(text)} if text else None, "hints": list(hints)}
    return Combined(scores, top3, top3[0][1] if top3 else 0.0, supported, signals)
