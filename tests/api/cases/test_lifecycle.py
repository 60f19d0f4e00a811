"""Table-driven: every (status, action, role) either follows the case table or is refused.

The expected outcome of each combination comes from `case_transitions.csv`, written by hand from docs/cases.md's
table — not from `lifecycle.TRANSITIONS`, so a wrong entry in the code fails here.
"""

import csv
from itertools import product
from pathlib import Path
from types import SimpleNamespace

import pytest

from api.cases import lifecycle
from api.cases.errors import ActionNotAllowed, IllegalCaseTransition
from api.cases.lifecycle import CaseAction, CaseStatus
from api.events.service import Actor

ROLES = ("citizen", "intake_clerk", "dispatcher", "dept_head", "dept_handler", "supervisor", "command_centre",
         "shift_lead", "admin", "system")


def _expected() -> dict[tuple[str, str], tuple[frozenset[str], str, str]]:
    """(from, action) → (roles, to, to with 结案 approval: the same unless the written table says otherwise)."""
    lines = (Path(__file__).parent / "case_transitions.csv").read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {(r["from"], r["action"]): (frozenset(r["roles"].split()), r["to"], r["to_with_close_approval"] or r["to"])
            for r in rows}


EXPECTED = _expected()


def test_the_written_table_names_real_statuses_actions_and_roles():
    assert len(EXPECTED) == 28
    for (status, action), (roles, target, approved_target) in EXPECTED.items():
        assert status in CaseStatus._value2member_map_ and action in CaseAction._value2member_map_
        assert roles <= set(ROLES)
        for to in (target, approved_target):
            assert to == "previous" or to in CaseStatus._value2member_map_


@pytest.mark.parametrize("close_approval", [False, True], ids=["closing", "close_approval"])
@pytest.mark.parametrize("status, action, role", list(product(CaseStatus, CaseAction, ROLES)))
def test_every_transition_follows_the_table(monkeypatch, status, action, role, close_approval):
    recorded = []
    monkeypatch.setattr(lifecycle, "record", lambda *a, **k: recorded.append(k))
    case = SimpleNamespace(id=1, status=status, status_before_deferral=CaseStatus.IN_PROGRESS)
    entry = EXPECTED.get((str(status), str(action)))
    if entry is None:
        with pytest.raises(IllegalCaseTransition):
            lifecycle.transition(case, action, Actor("staff", 1), frozenset({role}), close_approval=close_approval)
    elif role not in entry[0]:
        with pytest.raises(ActionNotAllowed):
            lifecycle.transition(case, action, Actor("staff", 1), frozenset({role}), close_approval=close_approval)
    else:
        # resume returns to the status before the deferral
        written = entry[2] if close_approval else entry[1]
        expected = CaseStatus.IN_PROGRESS if written == "previous" else CaseStatus(written)
        assert lifecycle.transition(case, action, Actor("staff", 1), frozenset({role}),
                                    close_approval=close_approval) == expected
        assert case.status == expected and recorded[0]["to_state"] == expected
        return
    assert case.status == status and recorded == []


def test_the_table_has_the_issue_semantics():
    t = lifecycle.TRANSITIONS
    S, A = CaseStatus, CaseAction
    assert t[(S.PENDING, A.ACCEPT)][0] == S.AWAITING_DISPATCH
    assert t[(S.AWAITING_CHECK, A.CHECK_FAIL)][0] == S.IN_PROGRESS  # 返工 to the same department
    assert t[(S.IN_PROGRESS, A.RETURN)][0] == S.AWAITING_DISPATCH
    assert t[(S.CLOSED, A.REOPEN)] == (S.AWAITING_DISPATCH, frozenset({"citizen"}))
    for end in (S.REFUSED, S.WITHDRAWN):
        assert not [k for k in t if k[0] == end]
    # a merge (by a clerk or the automatic duplicate check) can only be undone by a clerk
    assert [k for k in t if k[0] == S.MERGED] == [(S.MERGED, A.UNMERGE)]
    assert t[(S.MERGED, A.UNMERGE)] == (S.PENDING, frozenset({"intake_clerk"}))
    for status in lifecycle.OPEN:
        assert t[(status, A.DEFER)][0] == S.DEFERRED
    # 结案 approval: only the 值班长; sent back, the case is checked again on site; no 缓办 or 延期 while waiting
    assert lifecycle.WITH_CLOSE_APPROVAL == {(S.AWAITING_CHECK, A.CHECK_PASS): S.AWAITING_CLOSE}
    assert t[(S.AWAITING_CLOSE, A.APPROVE_CLOSE)] == (S.CLOSED, frozenset({"shift_lead"}))
    assert t[(S.AWAITING_CLOSE, A.REJECT_CLOSE)] == (S.AWAITING_CHECK, frozenset({"shift_lead"}))
    assert S.AWAITING_CLOSE not in lifecycle.OPEN and S.AWAITING_CLOSE not in lifecycle.ENDED
