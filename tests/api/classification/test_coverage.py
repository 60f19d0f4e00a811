"""Open-set coverage: a trained head knows its classes, says how sure it is that a photo is one of them at all,
and abstains on anything else — so categories it was never trained on are decided as they were before training."""

import dataclasses

import numpy as np
import pytest
import sqlalchemy as sa

from api.classification import registry, training, versions
from api.classification.models import PhotoPrediction
from api.classification.text import TextModel, seed_texts
from api.config import get_config, init_config
from api.db import unit_of_work
from api.events.service import Actor
from api.intake import decide
from api.media.models import Media
from tests.api.classification.test_intake_decisions import case_of, with_grid
from tests.api.classification.test_intake_decisions import world as world  # noqa: F401 - the district
from tests.api.classification.test_text_model import _neutral_history
from tests.support import submit_new_report

DIM = 1280


def cluster(seed: int, n: int, centre: np.ndarray, spread: float = 0.15) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return centre + spread * rng.standard_normal((n, DIM)).astype(np.float32)


def centres() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {code: rng.standard_normal(DIM).astype(np.float32) for code in ("event:01-02", "event:05-01", "far")}


def test_a_head_covers_its_classes_and_abstains_on_the_rest():
    c = centres()
    x = np.concatenate([cluster(1, 20, c["event:01-02"]), cluster(2, 20, c["event:05-01"])])
    y = ["event:01-02"] * 20 + ["event:05-01"] * 20
    held = [(v, "event:01-02") for v in cluster(3, 10, c["event:01-02"])] + \
        [(v, "event:05-01") for v in cluster(4, 10, c["event:05-01"])]
    head = training.with_coverage(training.train_head(x, y), x, y, held)
    kept = [head.covers(v) for v, _ in held]
    assert sum(kept) >= 19  # the threshold keeps 95 % of the held-out photos of its classes (it was picked so)
    assert not any(head.covers(v) for v in cluster(5, 20, c["far"]))  # a road with parked cars: none of them
    again = registry.ImageHead.loads(head.dumps())  # the bundle keeps what it covers
    assert again.min_similarity == pytest.approx(head.min_similarity) and again.covers(held[0][0])
    old = registry.ImageHead(head.classes, head.weight, head.bias)  # a bundle from before coverage: covers all
    assert registry.ImageHead.loads(old.dumps()).covers(cluster(6, 1, c["far"])[0])


def test_a_category_below_the_minimum_of_labels_is_not_learnt(config):
    init_config(dataclasses.replace(config, CLASSIFY_MIN_LABELS=5))
    samples = [training.Sample(case_id=i, code="event:01-02", media_ids=[i]) for i in range(6)] + \
        [training.Sample(case_id=10 + i, code="event:05-01", media_ids=[10 + i]) for i in range(2)]
    enough, too_few = training._label_counts(samples)
    assert enough == {"event:01-02": 6} and too_few == {"event:05-01": 2}


def _promote_trained_head(config, tmp_path, withheld: dict | None = None,
                          labelled: list | None = None) -> registry.ImageHead:
    """A version whose image head knows garbage and vending (clusters of synthetic features) and the cold start's
    text model (text as before training), promoted."""
    init_config(dataclasses.replace(get_config(), MODEL_DIR=str(tmp_path)))  # the world's settings, bundles here
    c = centres()
    x = np.concatenate([cluster(1, 20, c["event:01-02"]), cluster(2, 20, c["event:05-01"])])
    y = ["event:01-02"] * 20 + ["event:05-01"] * 20
    held = [(v, code) for code, seed in (("event:01-02", 3), ("event:05-01", 4)) for v in cluster(seed, 10, c[code])]
    head = training.with_coverage(training.train_head(x, y), x, y, held)
    text = TextModel.fit(seed_texts(registry.current_categories()), labelled or [], registry.neutral_phrases())
    with unit_of_work():
        registry.save_bundle("m-open", head, text, {"summary": {}, "withheld": withheld or {}}, None)
        versions.promote("m-open", Actor.system())
    registry.forget()
    return head


COLD_SCORES = {"event:01-02": 0.05, "event:05-05": 0.02}  # what the ImageNet mapping gives a road photo


def _scored(db_session, report_id: int, head: registry.ImageHead | None, features: np.ndarray) -> None:
    """What classify_photo stores for the report's photo, from these features (no backbone needed here): the
    cold start's mapping without a head, or when the head abstains."""
    media_id = db_session.scalar(sa.select(Media.id).where(Media.owner_type == "report", Media.owner_id == report_id))
    abstained = head is not None and not head.covers(features)
    scores = head.predict(features) if head is not None and not abstained else COLD_SCORES
    db_session.add(PhotoPrediction(media_id=media_id, report_id=report_id,
                                   model_version="m-open" if head else registry.COLD_START,
                                   backbone=registry.BACKBONE, scores=scores, imagenet_top=[],
                                   embedding=features.astype(np.float16).tobytes(), abstained=abstained,
                                   coverage=head.coverage(features) if head else None))
    db_session.flush()


def test_an_untrained_category_is_decided_by_its_text_as_before_training(client, world, db_session,  # noqa: F811
                                                                         config, tmp_path):
    with_grid()
    parking = "有人在路边乱停车，占了人行道"
    road = cluster(9, 1, centres()["far"])[0]  # a photo of none of the head's classes
    before = submit_new_report(client, world["alice"], parking, hint=None)
    _scored(db_session, before, None, road)
    cold = decide.route_report(before)  # before training: the cold start's image signal and the text
    head = _promote_trained_head(config, tmp_path)
    assert cold.category_code not in head.classes
    after = submit_new_report(client, world["alice"], parking, hint=None,
                              location={"lat": 23.19, "lon": 113.30, "coord_system": "gcj02"})
    _scored(db_session, after, head, road)
    row = decide.route_report(after)
    assert row.model_version == "m-open" and row.signals["image_abstained"] == 1
    assert row.category_code == cold.category_code and row.decision == cold.decision  # as before training
    assert case_of(db_session, after).suggestions[0]["code"] not in head.classes
    # the regression this prevents: the same head without coverage votes the road photo into its own classes
    legacy = registry.ImageHead(head.classes, head.weight, head.bias)
    third = submit_new_report(client, world["alice"], parking, hint=None,
                              location={"lat": 23.25, "lon": 113.40, "coord_system": "gcj02"})
    _scored(db_session, third, legacy, road)
    worse = decide.route_report(third)
    assert worse.signals["image_abstained"] == 0 and (worse.category_code in head.classes
                                                      or worse.decision != cold.decision)


def test_a_photo_the_head_knows_is_still_decided_by_it(client, world, db_session, config, tmp_path):  # noqa: F811
    with_grid()
    head = _promote_trained_head(config, tmp_path)
    rid = submit_new_report(client, world["alice"], "请尽快处理", hint=None)
    _scored(db_session, rid, head, cluster(11, 1, centres()["event:05-01"])[0])
    row = decide.route_report(rid)
    assert row.signals["image_abstained"] == 0 and row.category_code == "event:05-01"
    assert row.signals["image"]["trained"] is True


def test_a_withheld_category_is_suggested_but_never_auto_dispatched(client, world, db_session,  # noqa: F811
                                                                     config, tmp_path):
    with_grid()
    head = _promote_trained_head(config, tmp_path, withheld={"event:05-01": 3})  # 3 of the 20 the gate needs
    rid = submit_new_report(client, world["alice"], "请尽快处理", hint=None)
    _scored(db_session, rid, head, cluster(11, 1, centres()["event:05-01"])[0])
    row = decide.route_report(rid)
    assert row.category_code == "event:05-01" and row.decision == "triage" and row.reason.startswith("withheld")
    assert case_of(db_session, rid).suggestions[0]["code"] == "event:05-01"  # still the first suggestion


def test_the_head_is_calibrated_on_held_out_photos():
    """Two overlapping classes: the calibrated head's mean confidence on held-out photos matches its accuracy
    there (a raw head, confident on what it memorised, claims more than it gets right)."""
    rng = np.random.default_rng(21)
    base = rng.standard_normal(DIM).astype(np.float32)
    nudge = 0.04 * rng.standard_normal(DIM).astype(np.float32)
    c = {"event:01-02": base + nudge, "event:05-01": base - nudge}
    x = np.concatenate([cluster(1, 60, c["event:01-02"], 0.5), cluster(2, 60, c["event:05-01"], 0.5)])
    y = ["event:01-02"] * 60 + ["event:05-01"] * 60
    held = [(v, code) for code, seed in (("event:01-02", 3), ("event:05-01", 4)) for v in cluster(seed, 150, c[code],
                                                                                                   0.5)]
    raw = training.train_head(x, y)
    calibrated = training.with_temperature(raw, held)
    assert calibrated.temperature != raw.temperature

    def confidence_and_accuracy(head):
        predictions = [head.predict(v) for v, _ in held]
        accuracy = np.mean([next(iter(p)) == code for p, (_, code) in zip(predictions, held, strict=True)])
        return np.mean([max(p.values()) for p in predictions]), accuracy

    raw_confidence, accuracy = confidence_and_accuracy(raw)
    calibrated_confidence, _ = confidence_and_accuracy(calibrated)
    assert abs(calibrated_confidence - accuracy) < abs(raw_confidence - accuracy)
    assert abs(calibrated_confidence - accuracy) < 0.1
    assert registry.ImageHead.loads(calibrated.dumps()).temperature == pytest.approx(calibrated.temperature)


def test_a_neutral_description_does_not_move_a_decision(client, world, db_session, config, tmp_path):  # noqa: F811
    """The text model learnt from an office whose citizens never name the problem: their phrases, under every 小类
    in uneven numbers, are no evidence — a photo the head knows decides alone, whatever polite words come with it."""
    with_grid()
    history = _neutral_history(np.random.default_rng(7))
    head = _promote_trained_head(config, tmp_path, labelled=history)
    photo = cluster(11, 1, centres()["event:05-01"])[0]
    rows = []
    for n, words in enumerate(("劳驾看一眼", "有空来瞅瞅，东门那块儿", "麻烦处理一下，谢谢，三元里街道这边")):
        rid = submit_new_report(client, world["alice"], words, hint=None,
                                location={"lat": 23.19 + 0.01 * n, "lon": 113.30, "coord_system": "gcj02"})
        _scored(db_session, rid, head, photo)
        rows.append(decide.route_report(rid))
    assert {r.category_code for r in rows} == {"event:05-01"} and {r.signals["text"] for r in rows} == {None}
    assert len({r.confidence for r in rows}) == 1 and {r.decision for r in rows} == {"auto_accepted"}
