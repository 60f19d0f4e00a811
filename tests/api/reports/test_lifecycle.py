"""Table-driven: every (status, action, actor) either follows the report table or is refused.

The expected outcomes are written here by hand from docs/cases.md (a citizen submits a draft, and may withdraw a
submitted report; everything after that happens on the case) — not read from `lifecycle.TRANSITIONS`, so a wrong
entry in the code fails here.
"""

from itertools import product
from types import SimpleNamespace

import pytest

from api.events.service import Actor
from api.reports import lifecycle
from api.reports.errors import IllegalReportTransition

# (from, action, actor) → to; every other combination is refused
ALLOWED = {
    ("draft", "submit", "citizen"): "submitted",
    ("submitted", "withdraw", "citizen"): "withdrawn",
}
CASES = list(product(("draft", "submitted", "withdrawn"), ("submit", "withdraw"), ("citizen", "staff", "system")))


def test_the_code_knows_the_same_statuses_and_actions():
    assert {s.value for s in lifecycle.ReportStatus} == {"draft", "submitted", "withdrawn"}
    assert {a.value for a in lifecycle.ReportAction} == {"submit", "withdraw"}


@pytest.mark.parametrize("status, action, actor", CASES)
def test_transition_follows_the_table(monkeypatch, status, action, actor):
    recorded = []
    monkeypatch.setattr(lifecycle, "record", lambda *a, **k: recorded.append((a, k)))
    report = SimpleNamespace(id=1, status=status, status_reason=None)
    target = ALLOWED.get((status, action, actor))
    if target is not None:
        assert lifecycle.transition(report, lifecycle.ReportAction(action), Actor(actor, 7), reason="r") == target
        assert report.status == target
        (args, kwargs), = recorded
        assert args[:3] == ("report", 1, action)
        assert kwargs["from_state"] == status and kwargs["to_state"] == target and kwargs["reason"] == "r"
    else:
        with pytest.raises(IllegalReportTransition):
            lifecycle.transition(report, lifecycle.ReportAction(action), Actor(actor, 7))
        assert report.status == status and recorded == []
