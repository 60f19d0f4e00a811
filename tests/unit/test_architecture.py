"""What the README's architecture section promises and `lint-imports` does not check: module sizes, that every
path the README names exists, and that the citizen's statuses cover every case status."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
PATH_IN_README = re.compile(r"`((?:api|workers|miniprogram_mock|invoices|migrations|tests|bench|scripts)/[\w./-]*)`")


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for package in ("api", "workers", "miniprogram_mock", "invoices")
            for p in (ROOT / package).rglob("*.py") if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_path_the_readme_names_exists():
    named = set(PATH_IN_README.findall((ROOT / "README.md").read_text("utf-8")))
    missing = sorted(p for p in named if not any(ROOT.glob(p.rstrip("/"))))
    assert named and missing == []


def test_the_citizen_sees_a_status_for_every_case_status():
    from api.cases.lifecycle import CaseStatus
    from api.citizen import status

    assert set(status._BY_CASE_STATUS) == set(CaseStatus)
    assert {s.code for s in status._BY_CASE_STATUS.values()} <= set(status.CITIZEN_STATUS_CODES)


def test_the_production_block_runs_a_worker_for_every_declared_queue():
    """An operator who follows the README serves every queue `api/jobs.py` declares (it once left out receipts)."""
    from api.jobs import QUEUES

    served = set()
    for line in (ROOT / "README.md").read_text("utf-8").splitlines():
        if line.startswith("python -m workers.worker "):
            served |= set(line.split("#")[0].split()[3:]) - {"--simple", "--burst"}
    assert set(QUEUES) <= served, sorted(set(QUEUES) - served)
