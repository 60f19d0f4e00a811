"""Signal fusion: agreement sharpens, the hint counts, the image alone never decides in a cold start."""

import pytest

from api.classification import fusion

UNIVERSE = {"event:01-02", "event:05-01", "component:01-18", "event:05-06"}


def test_agreeing_text_and_hint_give_a_confident_supported_top1():
    text = {"event:01-02": 0.7, "event:05-01": 0.1}
    alone = fusion.combine(None, False, text, (), UNIVERSE)
    hinted = fusion.combine(None, False, text, ("event:01-02",), UNIVERSE)
    assert alone.top3[0][0] == hinted.top3[0][0] == "event:01-02"
    assert hinted.confidence > alone.confidence and hinted.supported
    assert sum(hinted.scores.values()) == pytest.approx(1.0)


def test_the_cold_start_image_alone_is_never_supported():
    image = {"event:05-06": 0.9}
    result = fusion.combine(image, False, None, (), UNIVERSE)
    assert result.top3[0][0] == "event:05-06" and not result.supported
    trained = fusion.combine(image, True, None, (), UNIVERSE)
    assert trained.supported and trained.confidence > result.confidence


def test_the_cold_start_image_weighs_less_than_a_trained_head():
    text = {"event:01-02": 0.8, "event:05-06": 0.1}
    image = {"event:05-06": 0.95, "event:01-02": 0.01}
    assert fusion.combine(image, False, text, (), UNIVERSE).top3[0][0] == "event:01-02"
    assert fusion.combine(image, True, text, (), UNIVERSE).top3[0][0] == "event:05-06"


def test_a_hint_naming_several_classes_spreads_over_them():
    result = fusion.combine(None, False, None, ("event:01-02", "event:05-01"), UNIVERSE)
    assert {c for c, _ in result.top3[:2]} == {"event:01-02", "event:05-01"}
    assert result.top3[0][1] == pytest.approx(result.top3[1][1])
    assert result.signals == {"image": None, "text": None, "hints": ["event:01-02", "event:05-01"]}


def test_no_signal_at_all_gives_an_unconfident_flat_answer():
    result = fusion.combine(None, False, None, (), UNIVERSE)
    assert result.confidence == pytest.approx(1 / len(UNIVERSE))
