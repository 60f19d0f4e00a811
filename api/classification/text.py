"""The description classifier: character n-grams + TF-IDF + logistic regression (scikit-learn).

Chinese complaint text has no spaces; character 1–3-grams need no word segmenter and catch the words
citizens use (垃圾, 井盖, 摆摊 …). Seeded from the taxonomy's names and data/keywords.csv so it works
before the office has labelled anything; trained versions add the descriptions staff confirmed.

Only evidence is learnt, and text without any says nothing (issue 27):
- **Stop n-grams learnt from the office's descriptions.** An n-gram of the confirmed descriptions that the seeds
  do not have is a feature only when its 小类 are unlikely to be chance: the one-sided binomial tail of its most
  frequent 小类, against that 小类's share of the labelled descriptions, is below STOP_ALPHA. "麻烦处理一下"
  written under five 小类 in about their shares is not evidence; "乱停车" written under one is. Another seed
  n-gram is judged the same way once the descriptions use it STOP_MIN_USES times; a whole seed keyword (垃圾,
  井盖, 坑 …) always stays.
- **Neutral phrases** (data/neutral_phrases.txt and the district's place names): their n-grams are never features,
  except a whole seed keyword.
- **Minimum evidence.** A description with no feature of two or more characters, and no whole seed keyword (坑,
  吵, 臭 are words of one character), abstains (`predict` → None):
  the fusion then decides as if there were no text, so politeness and place words cannot move a decision.
- **Calibration.** A temperature fitted on held-out descriptions (`calibrate`) scales the probabilities before
  they are fused with the photo's.
"""

from __future__ import annotations

import csv
import functools
import io
import pickle
from collections import Counter, defaultdict
from importlib import resources

import numpy as np

SEED_WEIGHT = 1.0
LABEL_WEIGHT = 2.0  # an office-confirmed description counts more than a seed phrase
STOP_ALPHA = 1e-3  # an office n-gram is evidence when its 小类 this unlikely by chance
STOP_MIN_USES = 5  # a seed n-gram is judged on the descriptions once they use it this often
MIN_EVIDENCE_CHARS = 2  # single characters add to a prediction, but alone are no evidence
TEMPERATURE_BOUNDS = (0.25, 10.0)


@functools.cache
def keywords() -> dict[str, list[str]]:
    text = resources.files("api.classification").joinpath("data/keywords.csv").read_text("utf-8")
    return {row["code"]: row["keywords"].split() for row in csv.DictReader(io.StringIO(text))}


def neutral_phrases() -> list[str]:
    text = resources.files("api.classification").joinpath("data/neutral_phrases.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


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


def _vectorizer(**kwargs):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, **kwargs)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    from scipy.stats import binom

    return float(binom.sf(k - 1, n, p))


def learn_stop_ngrams(seeds: list[tuple[str, str]], labelled: list[tuple[str, str]],
                      neutral: list[str]) -> set[str]:
    """The n-grams that are no evidence of a 小类 (the rules in the module docstring)."""
    analyse = _vectorizer().build_analyzer()
    seed_grams = {g for text, _ in seeds for g in analyse(text)}
    whole_keywords = {text for text, _ in seeds if len(text) <= 3}
    uses: dict[str, Counter] = defaultdict(Counter)
    for text, code in labelled:
        for gram in set(analyse(text)):
            uses[gram][code] += 1
    share = Counter(code for _, code in labelled)
    total = sum(share.values())
    stop = set()
    for gram, by_code in uses.items():
        n = sum(by_code.values())
        if gram in seed_grams and n < STOP_MIN_USES:
            continue  # the taxonomy's own words stand until the office's descriptions say otherwise
        code, k = by_code.most_common(1)[0]
        if binomial_tail(k, n, share[code] / total) >= STOP_ALPHA:
            stop.add(gram)
    stop |= {g for phrase in neutral for g in analyse(phrase)}
    return stop - whole_keywords


class TextModel:
    def __init__(self, pipeline, temperature: float = 1.0, stopped: int = 0, words: frozenset[str] = frozenset()):
        self.pipeline = pipeline
        self.temperature = temperature
        self.stopped = stopped  # how many n-grams were left out as no evidence (reported at training)
        self.words = words  # the whole seed keywords that are features: evidence whatever their length
        self.classes = [str(c) for c in pipeline.classes_]
        self._analyse = pipeline.steps[0][1].build_analyzer()
        self._vocabulary = pipeline.steps[0][1].vocabulary_

    @classmethod
    def fit(cls, seeds: list[tuple[str, str]], labelled: list[tuple[str, str]],
            neutral: list[str] | None = None) -> TextModel:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        texts = [t for t, _ in seeds] + [t for t, _ in labelled]
        codes = [c for _, c in seeds] + [c for _, c in labelled]
        weights = [SEED_WEIGHT] * len(seeds) + [LABEL_WEIGHT] * len(labelled)
        stop = learn_stop_ngrams(seeds, labelled, neutral_phrases() if neutral is None else neutral)
        analyse = _vectorizer().build_analyzer()
        vocabulary = sorted({g for t in texts for g in analyse(t)} - stop)
        pipeline = make_pipeline(_vectorizer(vocabulary=vocabulary),
                                 LogisticRegression(C=10.0, max_iter=300, tol=1e-3))
        pipeline.fit(texts, codes, logisticregression__sample_weight=np.asarray(weights))
        kept = set(vocabulary)
        words = frozenset(t for t, _ in seeds if len(t) < MIN_EVIDENCE_CHARS and t in kept)
        return cls(pipeline, stopped=len(stop), words=words)

    def evidence(self, text: str) -> list[str]:
        """The description's features of two or more characters: what the prediction rests on."""
        return sorted({g for g in self._analyse(text or "")
                       if g in self._vocabulary and (len(g) >= MIN_EVIDENCE_CHARS or g in self.words)})

    def _proba(self, texts: list[str]) -> np.ndarray:
        p = self.pipeline.predict_proba(texts)
        if self.temperature != 1.0:
            p = np.exp(np.log(np.clip(p, 1e-12, 1.0)) / self.temperature)
            p /= p.sum(axis=1, keepdims=True)
        return p

    def predict(self, text: str, top: int = 10) -> dict[str, float] | None:
        """The calibrated top of the distribution over 小类, or None when the text carries no evidence."""
        if not self.evidence(text):
            return None
        p = self._proba([text])[0]
        order = np.argsort(p)[::-1][:top]
        return {self.classes[i]: float(p[i]) for i in order}

    def predict_many(self, texts: list[str]) -> list[str]:
        return [str(c) for c in self.pipeline.predict(texts)]

    def calibrate(self, held_out: list[tuple[str, str]]) -> float:
        """Fit the temperature that minimises the negative log-likelihood of held-out (text, 小类) pairs that carry
        evidence and name a known 小类; kept at 1.0 with fewer than five. Returns the temperature."""
        index = {c: i for i, c in enumerate(self.classes)}
        usable = [(t, index[c]) for t, c in held_out if c in index and self.evidence(t)]
        if len(usable) < 5:
            self.temperature = 1.0
            return self.temperature
        logp = np.log(np.clip(self.pipeline.predict_proba([t for t, _ in usable]), 1e-12, 1.0))
        truth = np.asarray([i for _, i in usable])
        self.temperature = fit_temperature(logp, truth)
        return self.temperature

    def dumps(self) -> bytes:
        return pickle.dumps({"pipeline": self.pipeline, "temperature": self.temperature, "stopped": self.stopped,
                             "words": self.words}, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def loads(cls, data: bytes) -> TextModel:
        # Only bundles this service wrote, verified against the SHA-256 recorded in the database.
        obj = pickle.loads(data)  # noqa: S301
        if isinstance(obj, dict):
            return cls(obj["pipeline"], obj.get("temperature", 1.0), obj.get("stopped", 0),
                       frozenset(obj.get("words", ())))
        return cls(obj)  # a bundle from before calibration: the pipeline alone


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature T minimising the mean negative log-likelihood of softmax(logits / T) at `truth` (bounded:
    a perfectly separated held-out set would otherwise drive T to zero)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    def nll(t: float) -> float:
        return float(-log_softmax(logits / t, axis=1)[np.arange(len(truth)), truth].mean())

    return round(float(minimize_scalar(nll, bounds=TEMPERATURE_BOUNDS, method="bounded").x), 4)
