"""The inspection checklist as data: one CSV per version in api/gas/data (checklist_v1.csv …), each item with the
user types it applies to (all, pipeline, lpg, catering), the hazard level a failure means (一级 1: immediate,
二级 2, 三级 3 — the company-standard pattern of shared/reference/gas-and-fees.md §C), whether it must be answered and
the 小类 its hazard's case is filed under (燃气安全, api/taxonomy/data/gas_safety_categories.csv).
A visit names the version it was filled in with; the field app downloads the current one."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
CURRENT = "v1"


@dataclass(frozen=True)
class Item:
    code: str
    title: str
    applies_to: str
    level_on_fail: int
    mandatory: bool
    source: str
    category: str = ""  # the case category of a failure ("": GAS_HAZARD_CATEGORY)

    def applies(self, user_type: str, supply: str) -> bool:
        return self.applies_to in ("all", supply) or (self.applies_to == "catering" and user_type == "catering")


@cache
def load(version: str) -> dict[str, Item]:
    """The items of one version, by code (LookupError for a version that does not exist)."""
    path = DATA / f"checklist_{version}.csv"
    if "/" in version or not path.is_file():
        raise LookupError(version)
    with path.open(encoding="utf-8") as f:
        return {row["code"]: Item(row["code"], row["title"], row["applies_to"], int(row["level_on_fail"]),
                                  row["mandatory"] == "yes", row["source"], row.get("category") or "")
                for row in csv.DictReader(f)}


def applicable(version: str, user_type: str, supply: str) -> list[Item]:
    return [item for item in load(version).values() if item.applies(user_type, supply)]


LEAK = "leak"  # a leak opens an emergency case at once
LEVEL_NAMES = {1: "一级", 2: "二级", 3: "三级"}  # the hazard levels as documents and cases name them
