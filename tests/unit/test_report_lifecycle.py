"""Table-driven: every (status, action, actor) either follows the table or is refused."""

from itertools import product
from types import SimpleNamespace

import pytest

from api.events.service import Actor
from api.reports import lifecycle
from api.reports.errors import IllegalReportTransition
from api.reports.lifecycle import ReportAction, ReportStatus

ACTORS = ("citizen", "staff", "system")
CASES = list(product(ReportStatus, ReportAction, ACTORS))


@pytest.mark.parametrize("status, action, actor", CASES)
def test_transition_follows_the_table(monkeypatch, status, action, actor):
    recorded = []
    monkeypatch.setattr(lifecycle, "record", lambda *a, **k: recorded.append((a, k)))
    report = SimpleNamespace(id=1, status=status, status_reason=None)
    entry = lifecycle.TRANSITIONS.get((status, action))
    if entry and actor in entry[1]:
        assert lifecycle.transition(report, action, Actor(actor, 7), reason="r") == entry[0]
        assert report.status == entry[0]
        (args, kwargs), = recorded
        assert kwargs["from_state"] == status and kwargs["to_state"] == entry[0] and kwargs["reason"] == "r"
    else:
        with pytest.raises(IllegalReportTransition):
            lifecycle.transition(report, action, Actor(actor, 7))
        assert report.status == status and recorded == []


def test_end_states_have_no_way_out():
    assert not [k for k in lifecycle.TRANSITIONS if k[0] == ReportStatus.WITHDRAWN]
