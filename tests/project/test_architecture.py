"""What docs/architecture.md promises and `lint-imports` does not check: module sizes and that the citizen's
statuses cover every case status. What the docs name (paths, queues, settings) is checked in test_docs.py."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for package in ("api", "workers", "miniprogram_mock", "invoices")
            for p in (ROOT / package).rglob("*.py") if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_citizen_sees_a_status_for_every_case_status():
    from api.cases.lifecycle import CaseStatus
    from api.citizen import status

    assert set(status._BY_CASE_STATUS) == set(CaseStatus)
    assert {s.code for s in status._BY_CASE_STATUS.values()} <= set(status.CITIZEN_STATUS_CODES)

