"""The description classifier seeded from the taxonomy's names and keywords, and its (de)serialisation."""

import csv
from pathlib import Path

import pytest

from api.classification.text import TextModel, keywords, seed_texts

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


def test_vague_text_is_not_confident(model):
    assert max(model.predict("这里有情况请处理").values()) < 0.3


def test_it_round_trips_through_bytes(model):
    again = TextModel.loads(model.dumps())
    assert again.predict("井盖丢了") == model.predict("井盖丢了")


def test_every_keyword_row_names_a_real_class():
    codes = {f"{r['kind']}:{r['major_code']}-{r['minor_code']}" for r in csv.DictReader(CSV.open(encoding="utf-8"))}
    assert set(keywords()) <= codes
