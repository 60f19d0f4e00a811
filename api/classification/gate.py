"""The promotion gate: a candidate is judged on its frozen evaluation set against the version in production.

Computed where the models load (`flask model train`, `flask model evaluate`), stored in the candidate's metrics
(`gate`), and read by promotion — which runs in the web process too and never loads a model (`versions.promote`).

The evaluation set is the held-out cases of every labelled 小类 (not just those the image head learnt), frozen
per version by their case ids. Ground truth is the staff-confirmed 小类 only. A candidate is refused when
- a 小类 it auto-dispatched at least CLASSIFY_GATE_SUPPORT times in the set has an auto-dispatch precision below
  CLASSIFY_MIN_PRECISION; or
- it auto-dispatches more cases of 小类 its image head does not know to a wrong 小类 than production does on the
  same cases (the regression an image head trained on a few 小类 caused before coverage).
An operator may promote a refused candidate with a reason, which is recorded with the promotion.

Below that support a 小类's precision cannot be judged, so a 小类 the candidate learnt from labels and auto-dispatched
fewer than CLASSIFY_GATE_SUPPORT times in its set is **withheld**: the version still suggests it, but never
auto-dispatches it (the intake sends such a case to the 受理 desk). Withheld 小类 are decided once, at training,
and kept with the version (`metrics.withheld`, with their count); a 小类 the candidate never learnt is decided as
before training, and watched by the second rule.
"""

from __future__ import annotations

from api.config import get_config


def judge(candidate: list[dict], production: list[dict], image_categories: set[str], production_name: str) -> dict:
    """`candidate` and `production`: per case {case_id, truth, predicted, auto} on the same frozen set."""
    config = get_config()
    reasons = []
    by_code: dict[str, list[dict]] = {}
    for row in candidate:
        if row["auto"]:
            by_code.setdefault(row["predicted"], []).append(row)
    for code, rows in sorted(by_code.items()):
        precision = sum(r["truth"] == code for r in rows) / len(rows)
        if len(rows) >= config.CLASSIFY_GATE_SUPPORT and precision < config.CLASSIFY_MIN_PRECISION:
            reasons.append(f"{code}: auto-dispatch precision {precision:.2f} below {config.CLASSIFY_MIN_PRECISION} "
                           f"over {len(rows)} cases")
    wrong_new = _wrong_untrained(candidate, image_categories)
    wrong_old = _wrong_untrained(production, image_categories)
    if wrong_new > wrong_old:
        reasons.append(f"wrong auto-dispatches of 小类 the image head does not know: {wrong_new} "
                       f"(production {production_name}: {wrong_old})")
    return {"passed": not reasons, "reasons": reasons, "compared_with": production_name,
            "cases": len(candidate), "wrong_untrained": {"candidate": wrong_new, "production": wrong_old},
            "min_precision": config.CLASSIFY_MIN_PRECISION, "support": config.CLASSIFY_GATE_SUPPORT}


def withheld(candidate: list[dict], learnt: set[str]) -> dict[str, int]:
    """The learnt 小类 auto-dispatched fewer than CLASSIFY_GATE_SUPPORT times in the set, with that count."""
    support = get_config().CLASSIFY_GATE_SUPPORT
    counts = {code: sum(1 for r in candidate if r["auto"] and r["predicted"] == code) for code in learnt}
    return {code: n for code, n in sorted(counts.items()) if n < support}


def _wrong_untrained(rows: list[dict], image_categories: set[str]) -> int:
    return sum(1 for r in rows if r["auto"] and r["truth"] not in image_categories and r["predicted"] != r["truth"])
