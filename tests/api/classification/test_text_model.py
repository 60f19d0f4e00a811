"""The description classifier seeded from the taxonomy's names and keywords, and its (de)serialisation."""

import csv
import pickle
from pathlib import Path

import pytest

from api.classification.text import TextModel, fit_temperature, keywords, seed_texts

CSV = Path(__file__).resolve().parents[3] / "api/taxonomy/data/gbt30428_categories.csv"


@pytest.fixture(scope="module")
def model():
    rows = list(csv.DictReader(CSV.open(encoding="utf-8")))
    categories = [(f"{r['kind']}:{r['major_code']}-{r['minor_code']}", r["name"], r["major_name"]) for r in rows]
    return TextModel.fit(seed_texts(categories), [])


@pytest.mark.parametrize(("text", "code"), [
    ("小区门口垃圾堆积没人清理", "event:01-02"),
    ("有人在路口摆摊卖水果", "event:05-01"),
    ("路灯坏了晚上很黑", "component:01-18"),
    ("共享单车乱停放堵住人行道", "event:05-06"),
    ("下雨后这里积水很深", "event:04-06"),
])
def test_everyday_words_find_their_class(model, text, code):
    assert next(iter(model.predict(text))) == code


@pytest.mark.parametrize(("text", "code"), [("路上有个大坑", "event:01-10"), ("工地太吵了", None)])
def test_a_one_character_keyword_is_evidence(model, text, code):
    assert model.evidence(text), text  # 坑, 吵: whole keywords of one character
    if code:
        assert code in list(model.predict(text))[:3]


def test_vague_text_is_not_confident(model):
    assert model.predict("这里有情况请处理") is None  # not one word of evidence: the text abstains


@pytest.mark.parametrize("text", ["麻烦处理一下，谢谢", "您好，就在小区门口旁边，麻烦尽快处理", "白云区广州市这边附近"])
def test_politeness_and_place_phrases_carry_no_evidence(model, text):
    assert model.evidence(text) == [] and model.predict(text) is None


def _neutral_history(rng):
    """Descriptions written by citizens who never name the problem: the same few phrases under every 小类, in
    slightly uneven numbers (the chance imbalance a model mistakes for evidence)."""
    phrases = ["劳驾看一眼", "有空来瞅瞅", "东门那块儿", "早上路过看到的", "拍给你们看"]
    codes = ["event:01-02", "event:05-01", "component:01-18", "event:05-06", "event:04-06"]
    return [(str(rng.choice(phrases)), code) for code in codes for _ in range(int(rng.integers(30, 50)))]


def test_neutral_phrases_learnt_under_every_category_are_no_evidence():
    import numpy as np

    rows = list(csv.DictReader(CSV.open(encoding="utf-8")))
    categories = [(f"{r['kind']}:{r['major_code']}-{r['minor_code']}", r["name"], r["major_name"]) for r in rows]
    labelled = _neutral_history(np.random.default_rng(7))
    # one new word the office's descriptions use for one 小类 only: that is evidence, and learnt
    labelled += [(f"路边有鸭仔车{p}", "event:05-06") for p in ("", "，劳驾看一眼", "好久没动", "东门那块儿", "挡路")]
    trained = TextModel.fit(seed_texts(categories), labelled)
    assert trained.stopped > 0
    for phrase in ("劳驾看一眼", "有空来瞅瞅", "东门那块儿早上路过看到的"):
        assert trained.predict(phrase) is None, phrase
    assert next(iter(trained.predict("那边一排鸭仔车"))) == "event:05-06"
    assert next(iter(trained.predict("劳驾看一眼，小区垃圾堆积"))) == "event:01-02"  # seeds still speak


def test_the_temperature_is_fitted_on_held_out_cases():
    import numpy as np

    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, (4000, 5))
    p = np.exp(logits / 2.0)
    p /= p.sum(axis=1, keepdims=True)
    truth = np.asarray([rng.choice(5, p=row) for row in p])  # drawn from softmax(logits / 2): T = 2 fits
    assert fit_temperature(logits, truth) == pytest.approx(2.0, rel=0.1)


def test_calibration_softens_an_overconfident_model(model):
    again = TextModel.loads(model.dumps())
    wrong = [("井盖丢了", "event:01-02")] * 3 + [("路灯坏了", "component:01-18")] * 3  # half of it wrong
    assert again.calibrate(wrong) > 1.0
    assert max(again.predict("井盖丢了").values()) < max(model.predict("井盖丢了").values())
    assert TextModel.loads(again.dumps()).temperature == again.temperature


def test_it_round_trips_through_bytes(model):
    again = TextModel.loads(model.dumps())
    assert again.predict("井盖丢了") == model.predict("井盖丢了")
    old = TextModel.loads(pickle.dumps(model.pipeline))  # a bundle from before calibration: the pipeline alone
    assert old.temperature == 1.0 and old.predict("井盖丢了") == model.predict("井盖丢了")


def test_every_keyword_row_names_a_real_class():
    codes = {f"{r['kind']}:{r['major_code']}-{r['minor_code']}" for r in csv.DictReader(CSV.open(encoding="utf-8"))}
    assert set(keywords()) <= codes
