"""The docs an operator follows stay true: every queue has its worker in `docs/operations.md`, every setting is in
its table, every path and link the README, `docs/` and `bench/RESULTS.md` name exists, the README stays short and
the benchmark results stay dated, newest first."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "docs" / "operations.md"
PATH_IN_DOCS = re.compile(
    r"`((?:api|workers|miniprogram_mock|invoices|migrations|tests|bench|scripts|docs)/[\w./-]*)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "RESULTS.md"]


def _section(text: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of that level."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_production_block_runs_a_worker_for_every_declared_queue():
    """An operator who follows operations.md serves every queue `api/jobs.py` declares (it once left out receipts)
    and runs the clock."""
    from api.jobs import QUEUES

    lines = OPERATIONS.read_text("utf-8").splitlines()
    served = set()
    for line in lines:
        if line.startswith("python -m workers.worker "):
            served |= set(line.split("#")[0].split()[3:]) - {"--simple", "--burst"}
    assert set(QUEUES) <= served, sorted(set(QUEUES) - served)
    assert any(line.startswith("python -m workers.schedule") for line in lines)


def test_every_setting_is_in_the_settings_table():
    """Each `Config` field and each variable `gunicorn.conf.py` reads has a row (in its first column)."""
    from api.config import Config

    table = _section(OPERATIONS.read_text("utf-8"), "Settings")
    documented = {name for row in table.splitlines() if row.startswith("| ")
                  for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}
    gunicorn = set(re.findall(r"environ\.get\(\"([A-Z0-9_]+)\"", (ROOT / "gunicorn.conf.py").read_text("utf-8")))
    settings = {f.name for f in fields(Config)} | gunicorn
    assert gunicorn and sorted(settings - documented) == []


def test_every_path_the_docs_name_exists():
    named = {p for doc in _docs() for p in PATH_IN_DOCS.findall(doc.read_text("utf-8"))}
    missing = sorted(p for p in named if not any(ROOT.glob(p.rstrip("/"))))
    assert named and missing == []


def test_every_link_between_the_docs_leads_somewhere():
    """Relative links open a file that exists and, with an anchor, a heading it has."""
    broken = []
    for doc in _docs():
        for target in LINK.findall(doc.read_text("utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            if not file.exists():
                broken.append(f"{doc.name}: {target}")
            elif anchor and file.suffix == ".md" and anchor not in {
                    _slug(h) for h in HEADING.findall(file.read_text("utf-8"))}:
                broken.append(f"{doc.name}: {target}")
    assert broken == []


def test_the_readme_stays_short_and_points_at_every_page():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")} | {"bench/RESULTS.md"}
    assert sorted(p for p in pages if f"]({p})" not in readme) == []


def test_benchmark_results_are_dated_newest_first_with_their_command():
    text = (ROOT / "bench" / "RESULTS.md").read_text("utf-8")
    sections = re.split(r"\n(?=## )", text)[1:]
    dates = [DATE.search(s.splitlines()[0]) for s in sections]
    assert sections and all(dates), [s.splitlines()[0] for s, d in zip(sections, dates, strict=True) if not d]
    days = [d.group() for d in dates]
    assert days == sorted(days, reverse=True)
    assert [s.splitlines()[0] for s in sections if not re.search(r"`(make bench-[\w-]+|bench/\w+\.py)`", s)] == []
