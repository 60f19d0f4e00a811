"""Table-driven: every (status, action, role) either follows the case table or is refused."""

from itertools import product
from types import SimpleNamespace

import pytest

from api.events.service import Actor
from api.work_orders import lifecycle
from api.work_orders.errors import ActionNotAllowed, IllegalCaseTransition
from api.work_orders.lifecycle import CaseAction, CaseStatus

ROLES = ("citizen", "intake_clerk", "dispatcher", "dept_head", "dept_handler", "supervisor", "command_centre",
         "admin", "system")


@pytest.mark.parametrize("status, action, role", list(product(CaseStatus, CaseAction, ROLES)))
def test_every_transition_follows_the_table(monkeypatch, status, action, role):
    recorded = []
    monkeypatch.setattr(lifecycle, "record", lambda *a, **k: recorded.append(k))
    case = SimpleNamespace(id=1, status=status, status_before_deferral=CaseStatus.IN_PROGRESS)
    entry = lifecycle.TRANSITIONS.get((status, action))
    if entry is None:
        with pytest.raises(IllegalCaseTransition):
            lifecycle.transition(case, action, Actor("staff", 1), frozenset({role}))
    elif role not in entry[1]:
        with pytest.raises(ActionNotAllowed):
            lifecycle.transition(case, action, Actor("staff", 1), frozenset({role}))
    else:
        expected = entry[0] or CaseStatus.IN_PROGRESS  # resume returns to the status before the deferral
        assert lifecycle.transition(case, action, Actor("staff", 1), frozenset({role})) == expected
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
