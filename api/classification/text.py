"""The description classifier: character n-grams + TF-IDF + logistic regression (scikit-learn).

Chinese complaint text has no spaces; character 1–3-grams need no word segmenter and catch the words
citizens use (垃圾, 井盖, 摆摊 …). Seeded from the taxonomy's names and data/keywords.csv so it works
before the office has labelled anything; trained versions add the descriptions staff confirmed.
"""

from __future__ import annotations

import csv
import io
import pickle
from importlib import resources

import numpy as np

SEED_WEIGHT = 1.0
LABEL_WEIGHT = 2.0  # an office-confirmed description counts more than a seed phrase


def keywords() -> dict[str, list[str]]:
    text = resources.files("api.classification").joinpath("data/keywords.csv").read_text("utf-8")
    return {row["code"]: row["keywords"].split() for row in csv.DictReader(io.StringIO(text))}


def seed_texts(categories: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(code, name, major name) of every current 小类 → (text, code) seed pairs."""
    words = keywords()
    pairs = []
    for code, name, major in categories:
        pairs += [(name, code), (f"{major}{name}", code)]
        extra = words.get(code, [])
        pairs += [(w, code) for w in extra]
        if extra:
            pairs.append(("".join(extra), code))
    return pairs


class TextModel:
    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.classes = [str(c) for c in pipeline.classes_]

    @classmethod
    def fit(cls, seeds: list[tuple[str, str]], labelled: list[tuple[str, str]]) -> TextModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        texts = [t for t, _ in seeds] + [t for t, _ in labelled]
        codes = [c for _, c in seeds] + [c for _, c in labelled]
        weights = [SEED_WEIGHT] * len(seeds) + [LABEL_WEIGHT] * len(labelled)
        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
            LogisticRegression(C=10.0, max_iter=300, tol=1e-3))
        pipeline.fit(texts, codes, logisticregression__sample_weight=np.asarray(weights))
        return cls(pipeline)

    def predict(self, text: str, top: int = 10) -> dict[str, float]:
        p = self.pipeline.predict_proba([text or ""])[0]
        order = np.argsort(p)[::-1][:top]
        return {self.classes[i]: float(p[i]) for i in order}

    def predict_many(self, texts: list[str]) -> list[str]:
        return [str(c) for c in self.pipeline.predict(texts)]

    def dumps(self) -> bytes:
        return pickle.dumps(self.pipeline, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def loads(cls, data: bytes) -> TextModel:
        # Only bundles this service wrote, verified against the SHA-256 recorded in the database.
        return cls(pickle.loads(data))  # noqa: S301
