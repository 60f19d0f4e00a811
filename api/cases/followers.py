"""Who outside the engine hears how a case moves on: listeners registered when the process is wired.

The engine says what happened in words fit for the public (`tell(case, remark)`); it does not know who
follows the case. The citizen view registers the listener that tells each reporter on the case (their
subscribe message, in their own status wording), so the engine imports no citizen code.
"""

from __future__ import annotations

from collections.abc import Callable

from api.cases.models import Case

Listener = Callable[[Case, str, "list[int] | None"], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def tell(case: Case, remark: str, report_ids: list[int] | None = None) -> None:
    """`remark` is for the public; `report_ids` narrows who hears it (default: every report on the case)."""
    for listener in _listeners:
        listener(case, remark, report_ids)
