"""Learn from the office: labels from staff decisions, a trained image head and text model, evaluation.

A label is a case whose 小类 a person confirmed or corrected: the event log holds an `accept`,
`category_set` or `dispatch` by staff (or a patrol case a 监督员 opened with its 小类). The case's current
小类 labels the photos and descriptions of every report on it. Cases are split into train and held-out
sets per 小类, deterministically (by a hash of the case id), so photos of one case never straddle the
split and `flask model evaluate` scores a version on the same held-out cases it was trained without.
A labelled case the automatic intake decided on its own (auto-accepted, sent to 核实) is held out one in two: the
cases production handles are where a regression shows first. (Some of them production trained on, under the
split of its day: scored on them, production looks better than it is, so the gate errs on the side of refusing.)

Each signal is calibrated on the held-out cases before the versions are scored (a temperature each: the image
head's logits, the text model's probabilities), so that fusing them weighs what each one knows.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from api.cases.models import Case, CaseReport
from api.classification import fusion, gate, registry, versions
from api.classification.errors import NotEnoughLabels
from api.classification.models import PhotoPrediction
from api.classification.text import TextModel, fit_temperature, seed_texts
from api.config import get_config
from api.db import Session
from api.events.models import Event
from api.media.models import Media, MediaKind
from api.media.storage import get_storage
from api.reports import categories as citizen_categories
from api.reports.models import Report
from api.timefmt import local

LABEL_ACTIONS = ("accept", "category_set", "dispatch", "opened")
NOT_LABELS = ("refused", "withdrawn", "merged")
HELD_OUT_SHARE = 4  # one case in four per 小类 (at least one when the 小类 has two or more)
HANDLED_SHARE = 2  # one in two of the labelled cases the intake decided automatically
HANDLED = ("auto_accepted", "verification")  # a merged report's case is the duplicate: merged, never a label


@dataclass
class Sample:
    case_id: int
    code: str
    texts: list[str] = field(default_factory=list)
    hints: tuple[str, ...] = ()
    media_ids: list[int] = field(default_factory=list)


def labelled_samples() -> list[Sample]:
    staff_touched = sa.select(Event.subject_id).where(
        Event.subject_type == "case", Event.actor_type == "staff", Event.action.in_(LABEL_ACTIONS))
    cases = Session.execute(sa.select(Case.id, Case.category_code, Case.description).where(
        Case.id.in_(staff_touched), Case.category_code.is_not(None), Case.status.not_in(NOT_LABELS))
        .order_by(Case.id)).all()
    samples = {cid: Sample(cid, code) for cid, code, _ in cases}
    reports = Session.execute(sa.select(CaseReport.case_id, Report.id, Report.description, Report.category_hint)
                              .join(Report, Report.id == CaseReport.report_id)
                              .where(CaseReport.case_id.in_(list(samples)))).all()
    report_case = {}
    for case_id, report_id, description, hint in reports:
        samples[case_id].texts.append(description)
        choice = citizen_categories.BY_KEY.get(hint or "")
        if choice and not samples[case_id].hints:
            samples[case_id].hints = tuple(choice.gbt_hints)
        report_case[report_id] = case_id
    for cid, _, description in cases:
        if not samples[cid].texts:
            samples[cid].texts.append(description)  # staff-opened cases (patrol, hotline)
    photos = Session.execute(sa.select(Media.id, Media.owner_type, Media.owner_id).where(
        Media.kind == MediaKind.REPORT_PHOTO, sa.or_(
            sa.and_(Media.owner_type == "report", Media.owner_id.in_(list(report_case))),
            sa.and_(Media.owner_type == "case", Media.owner_id.in_(list(samples))))).order_by(Media.id)).all()
    for media_id, owner_type, owner_id in photos:
        case_id = report_case[owner_id] if owner_type == "report" else owner_id
        samples[case_id].media_ids.append(media_id)
    return list(samples.values())


_decisions = sa.table("report_classifications", sa.column("case_id"), sa.column("decision"))


def handled_case_ids() -> set[int]:
    """Cases the automatic intake decided without a person (the intake's table, read by name: it sits above)."""
    return set(Session.scalars(sa.select(_decisions.c.case_id).where(_decisions.c.decision.in_(HANDLED))))


def _hashed(case_id: int) -> str:
    return hashlib.sha256(str(case_id).encode()).hexdigest()


def split(samples: list[Sample], handled: set[int] = frozenset()) -> tuple[list[Sample], list[Sample]]:
    by_code: dict[str, list[Sample]] = defaultdict(list)
    train, test = [], []
    for s in samples:
        if s.case_id in handled:
            (test if int(_hashed(s.case_id), 16) % HANDLED_SHARE == 0 else train).append(s)
        else:
            by_code[s.code].append(s)
    for group in by_code.values():
        group.sort(key=lambda s: _hashed(s.case_id))
        n_test = max(1, len(group) // HELD_OUT_SHARE) if len(group) >= 2 else 0
        test += group[:n_test]
        train += group[n_test:]
    return train, test


def embeddings(media_ids: list[int]) -> dict[int, np.ndarray]:
    """Stored embeddings where the pipeline made them, the backbone for the rest."""
    found = {m: np.frombuffer(e, dtype=np.float16).astype(np.float32) for m, e in Session.execute(
        sa.select(PhotoPrediction.media_id, PhotoPrediction.embedding).where(PhotoPrediction.media_id.in_(media_ids)))}
    missing = [m for m in media_ids if m not in found]
    if missing:
        from api.classification import vision

        config = get_config()
        net = vision.backbone(config.CLASSIFIER_BACKEND, config.MODEL_DIR)
        keys = dict(Session.execute(sa.select(Media.id, Media.storage_key).where(Media.id.in_(missing))).all())
        for start in range(0, len(missing), 16):
            chunk = missing[start:start + 16]
            outputs = net.run([get_storage().get(keys[m]) for m in chunk])
            found.update({m: o.features.astype(np.float32) for m, o in zip(chunk, outputs, strict=True)})
    return found


def train_head(x: np.ndarray, labels: list[str], *, weight_decay: float = 1e-4, seed: int = 0) -> registry.ImageHead:
    """A linear softmax head on L2-normalised backbone features (torch, full-batch L-BFGS, class-balanced)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    features = torch.from_numpy(x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)).float()
    target = torch.tensor([index[c] for c in labels])
    counts = torch.bincount(target, minlength=len(classes)).float()
    class_weight = counts.sum() / (len(classes) * counts)
    head = torch.nn.Linear(features.shape[1], len(classes))
    optimiser = torch.optim.LBFGS(head.parameters(), lr=1.0, max_iter=300, line_search_fn="strong_wolfe")
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weight)

    def closure():
        optimiser.zero_grad()
        loss = loss_fn(head(features), target) + weight_decay * head.weight.pow(2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return registry.ImageHead(classes, head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy())


KEEP_HELD_OUT = 95  # per cent (at least) of held-out photos of the trained 小类 that the coverage threshold keeps


def _label_counts(samples: list[Sample]) -> tuple[dict[str, int], dict[str, int]]:
    """Staff-confirmed cases per 小类: those with CLASSIFY_MIN_LABELS or more (the image head learns them), and
    the rest (never auto-dispatched by the image head: it does not know them, and abstains)."""
    counts: dict[str, int] = defaultdict(int)
    for sample in samples:
        counts[sample.code] += 1 if sample.media_ids else 0
    least = get_config().CLASSIFY_MIN_LABELS
    return ({c: n for c, n in sorted(counts.items()) if n >= least},
            {c: n for c, n in sorted(counts.items()) if n < least})


def with_coverage(head: registry.ImageHead, x: np.ndarray, y: list[str],
                  held_out: list[tuple[np.ndarray, str]]) -> registry.ImageHead:
    """The head with what it covers: each class's centroid of unit-length training features, and the least
    similarity to a centroid that KEEP_HELD_OUT % of the held-out photos of the trained classes reach — measured
    on photos the head did not see (on the training photos themselves only when no held-out photo is left)."""
    unit = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)
    labels = np.asarray(y)
    centroids = np.stack([unit[labels == c].mean(axis=0) for c in head.classes])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-6
    sized = dataclasses.replace(head, centroids=centroids.astype(np.float32), min_similarity=-1.0)
    measured = [sized.coverage(v) for v, _ in held_out] or [sized.coverage(v) for v in x]
    # the lower order statistic: at least KEEP_HELD_OUT % kept (all of them when there are fewer than twenty)
    floor = float(np.percentile(measured, 100 - KEEP_HELD_OUT, method="lower"))
    return dataclasses.replace(sized, min_similarity=floor)


def with_temperature(head: registry.ImageHead, held_out: list[tuple[np.ndarray, str]]) -> registry.ImageHead:
    """The head with the temperature fitted on the held-out photos it covers (1.0 with fewer than five)."""
    known = {c: i for i, c in enumerate(head.classes)}
    usable = [(v, known[c]) for v, c in held_out if c in known and head.covers(v)]
    if len(usable) < 5:
        return head
    logits = np.stack([head.logits(v) for v, _ in usable]).astype(np.float64)
    return dataclasses.replace(head, temperature=fit_temperature(logits, np.asarray([i for _, i in usable])))


def train(created_by: int | None = None, promote: bool = False, operator: str | None = None):
    """Fit both models on the labelled cases, evaluate on the held-out ones, write a candidate version."""
    samples = labelled_samples()
    train_set, test_set = split(samples, handled_case_ids())
    if len({s.code for s in train_set}) < 2 or not test_set:
        raise NotEnoughLabels(details={"labelled_cases": len(samples), "needed": "two 小类 with two cases each"})
    vectors = embeddings([m for s in samples for m in s.media_ids])
    enough, too_few = _label_counts(samples)
    x = [vectors[m] for s in train_set if s.code in enough for m in s.media_ids]
    y = [s.code for s in train_set if s.code in enough for m in s.media_ids]
    head = None
    if len(set(y)) >= 2:
        held = [(vectors[m], s.code) for s in test_set if s.code in enough for m in s.media_ids]
        head = with_temperature(with_coverage(train_head(np.stack(x), y), np.stack(x), y, held), held)
    text = TextModel.fit(seed_texts(registry.current_categories()),
                         [(t, s.code) for s in train_set for t in s.texts if t], registry.neutral_phrases())
    text.calibrate([(t, s.code) for s in test_set for t in s.texts if t])
    clf = registry.Classifier("unsaved", head, text)
    said = predictions(clf, test_set, vectors)  # once: the withheld 小类 come from it, then the figures
    held_back = gate.withheld(scored(test_set, said, frozenset())["cases"], {s.code for s in train_set})
    metrics = scored(test_set, said, frozenset(held_back))
    metrics["withheld"] = held_back
    metrics["calibration"] = {"text_temperature": text.temperature, "text_stop_ngrams": text.stopped,
                              "image_temperature": None if head is None else head.temperature}
    metrics["evaluation_set"] = sorted(sample.case_id for sample in test_set)  # frozen: later comparisons use it
    metrics["gate"] = _judge(metrics, test_set, vectors, set(head.classes) if head else set())
    metrics["train"] = {"cases": len(train_set), "photos": len(x), "texts": sum(len(s.texts) for s in train_set)}
    metrics["coverage"] = {"min_labels": get_config().CLASSIFY_MIN_LABELS, "image_categories": enough,
                           "too_few_labels": too_few,
                           "min_similarity": None if head is None else round(head.min_similarity, 4),
                           "abstains_on": "every other 小类: photos farther than min_similarity from every "
                                          "image category's centroid are decided without the head"}
    name = _new_name()
    version = registry.save_bundle(name, head, text, metrics, created_by, operator)
    if promote:
        from api.events.service import Actor

        version = versions.promote(name, Actor("staff", created_by) if created_by else Actor.system(), operator)
    return version


def evaluate_version(name: str) -> dict:
    """Score a stored version on its own frozen evaluation set (today's held-out cases for a version trained
    before sets were frozen), judge it again against the version in production, and keep the new verdict."""
    version = versions.get_version(name)
    clf = registry.load_bundle(version)
    frozen = set(version.metrics.get("evaluation_set") or [])
    samples = labelled_samples()
    test_set = [s for s in samples if s.case_id in frozen] if frozen else split(samples, handled_case_ids())[1]
    if not test_set:
        raise NotEnoughLabels(details={"held_out_cases": 0})
    vectors = embeddings([m for s in test_set for m in s.media_ids])
    metrics = {**version.metrics, **evaluate(clf, test_set, vectors)}
    metrics["gate"] = _judge(metrics, test_set, vectors, set(version.classes or []))
    version.metrics = metrics
    return metrics


def _judge(metrics: dict, test_set: list[Sample], vectors: dict[int, np.ndarray], image_categories: set[str]) -> dict:
    """The promotion gate's verdict (api/classification/gate.py): this version against production on the same
    cases (production: the promoted version, or the cold start)."""
    current = versions.promoted()
    production = registry.load_bundle(current) if current else registry.cold_start()
    return gate.judge(metrics["cases"], evaluate(production, test_set, vectors)["cases"], image_categories,
                      production.version)


_thresholds = sa.table("category_thresholds", sa.column("category_code"), sa.column("threshold"))


def thresholds_in_force() -> dict[str, float]:
    """The per-小类 auto-dispatch thresholds as the intake applies them (the intake's table, read by name: the
    intake sits above this package)."""
    return dict(Session.execute(sa.select(_thresholds.c.category_code, _thresholds.c.threshold)).all())


def evaluate(clf: registry.Classifier, test_set: list[Sample], vectors: dict[int, np.ndarray]) -> dict:
    """The version on these cases at the thresholds in force (per 小类, else CLASSIFY_THRESHOLD): accuracy of each
    signal, per-小类 precision / recall / auto-dispatch share and precision, the confusion matrix, and each case's
    outcome (`cases`, for the promotion gate)."""
    return scored(test_set, predictions(clf, test_set, vectors), clf.withheld)


def predictions(clf: registry.Classifier, test_set: list[Sample], vectors: dict[int, np.ndarray]) -> list[tuple]:
    """Per case (truth, image top, text top, fused top, supported and over the threshold), before any withholding."""
    threshold = get_config().CLASSIFY_THRESHOLD
    per_category = thresholds_in_force()
    out = []
    for s in test_set:
        image = None
        covered = [m for m in s.media_ids if clf.head is not None and clf.head.covers(vectors[m])]
        if covered:  # photos the head abstains on are left to the text, as in the pipeline
            image = defaultdict(float)
            for m in covered:
                for code, p in clf.head.predict(vectors[m]).items():
                    image[code] += p / len(covered)
        text = clf.text.predict(" ".join(s.texts)) if any(s.texts) and clf.text else None
        result = fusion.combine(dict(image) if image else None, clf.head is not None, text, s.hints,
                                set(clf.text.classes) if clf.text else set())
        top = result.top3[0][0]
        out.append((s.code, max(image, key=image.get) if image else None, max(text, key=text.get) if text else None,
                    top, result.supported and result.confidence >= per_category.get(top, threshold)))
    return out


def scored(test_set: list[Sample], predicted: list[tuple], withheld: frozenset[str]) -> dict:
    """The figures of `evaluate` from `predictions`, a withheld 小类 never auto-dispatched."""
    truth, by_image, by_text, combined_pred, eligible = (list(c) for c in zip(*predicted, strict=True))
    confident = [e and p not in withheld for p, e in zip(combined_pred, eligible, strict=True)]
    auto = [(t, p) for t, p, c in zip(truth, combined_pred, confident, strict=True) if c]
    threshold = get_config().CLASSIFY_THRESHOLD
    return {
        "held_out_cases": len(test_set),
        "summary": {"combined_accuracy": _accuracy(truth, combined_pred), "image_accuracy": _accuracy(truth, by_image),
                    "text_accuracy": _accuracy(truth, by_text),
                    "auto_dispatch_share": round(len(auto) / len(truth), 4),
                    "auto_dispatch_precision": _accuracy([t for t, _ in auto], [p for _, p in auto]),
                    "threshold": threshold},
        "per_category": _per_category(truth, combined_pred, confident),
        "confusion": _confusion(truth, combined_pred),
        "cases": [{"case_id": c.case_id, "truth": t, "predicted": p, "auto": a}
                  for c, t, p, a in zip(test_set, truth, combined_pred, confident, strict=True)],
    }


def _accuracy(truth: list[str], predicted: list[str | None]) -> float | None:
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if p is not None]
    return round(sum(t == p for t, p in pairs) / len(pairs), 4) if pairs else None


def _per_category(truth: list[str], predicted: list[str], auto: list[bool]) -> dict:
    out = {}
    for code in sorted(set(truth) | set(predicted)):
        tp = sum(t == code and p == code for t, p in zip(truth, predicted, strict=True))
        n_pred, n_true = predicted.count(code), truth.count(code)
        dispatched = [t for t, p, a in zip(truth, predicted, auto, strict=True) if a and p == code]
        out[code] = {"precision": round(tp / n_pred, 4) if n_pred else None,
                     "recall": round(tp / n_true, 4) if n_true else None, "support": n_true,
                     "auto_dispatched": len(dispatched),
                     "auto_precision": round(dispatched.count(code) / len(dispatched), 4) if dispatched else None,
                     "auto_share": round(len(dispatched) / n_true, 4) if n_true else None}
    return out


def _confusion(truth: list[str], predicted: list[str]) -> dict:
    labels = sorted(set(truth) | set(predicted))
    index = {c: i for i, c in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        matrix[index[t]][index[p]] += 1
    return {"labels": labels, "rows_true_cols_predicted": matrix}


def _new_name() -> str:
    from api.classification.models import ModelVersion
    from api.db import utcnow

    base = f"m{local(utcnow()):%Y%m%d-%H%M%S}"
    taken = set(Session.scalars(sa.select(ModelVersion.name).where(ModelVersion.name.like(f"{base}%"))))
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def report(metrics: dict) -> str:
    """The per-category precision/recall table and the confusion matrix, as text for the CLI."""
    lines = [f"held-out cases: {metrics['held_out_cases']}"]
    lines += [f"{k}: {v}" for k, v in metrics["summary"].items()]
    lines.append("")
    lines.append(f"{'category':<18}{'precision':>10}{'recall':>10}{'support':>9}{'auto':>6}{'auto prec.':>11}")
    for code, row in metrics["per_category"].items():
        p = "-" if row["precision"] is None else f"{row['precision']:.2f}"
        r = "-" if row["recall"] is None else f"{row['recall']:.2f}"
        ap = "-" if row.get("auto_precision") is None else f"{row['auto_precision']:.2f}"
        lines.append(f"{code:<18}{p:>10}{r:>10}{row['support']:>9}{row.get('auto_dispatched', 0):>6}{ap:>11}")
    verdict = metrics.get("gate")
    if verdict:
        lines += ["", f"promotion gate against {verdict['compared_with']} on {verdict['cases']} frozen cases: "
                      + ("passed" if verdict["passed"] else "REFUSED — " + "; ".join(verdict["reasons"]))]
    coverage = metrics.get("coverage")
    if coverage:
        lines += ["", f"image head learns (≥ {coverage['min_labels']} labelled cases): "
                      f"{', '.join(f'{c} ({n})' for c, n in coverage['image_categories'].items()) or 'none'}",
                  f"too few labels (the image head does not know them, never auto-dispatches them): "
                  f"{', '.join(f'{c} ({n})' for c, n in coverage['too_few_labels'].items()) or 'none'}",
                  f"abstains below similarity {coverage['min_similarity']} to every image category "
                  f"(kept {KEEP_HELD_OUT} % of held-out photos of them): those photos are left to the text"]
    if metrics.get("withheld"):
        lines += ["", f"withheld (suggested, never auto-dispatched: fewer than {get_config().CLASSIFY_GATE_SUPPORT} "
                      f"auto-dispatches in the evaluation set): "
                      + ", ".join(f"{c} ({n})" for c, n in metrics["withheld"].items())]
    calibration = metrics.get("calibration")
    if calibration:
        lines.append(f"calibration: text temperature {calibration['text_temperature']}, image temperature "
                     f"{calibration['image_temperature']}; {calibration['text_stop_ngrams']} n-grams are no evidence")
    labels, matrix = metrics["confusion"]["labels"], metrics["confusion"]["rows_true_cols_predicted"]
    lines += ["", "confusion (rows: true, columns: predicted)", " " * 18 + "".join(f"{i:>5}" for i in
                                                                                 range(len(labels)))]
    for i, (code, row) in enumerate(zip(labels, matrix, strict=True)):
        lines.append(f"{i:>2} {code:<15}" + "".join(f"{v:>5}" for v in row))
    return "\n".join(lines)
