"""What every register import shares (premises, fee accounts, gas users, 部件, 物资): validated whole, all or
nothing. Each row is checked by its domain's `check(row) -> (problem, values)`; the problems (at most MAX_ERRORS,
each with its line or feature and key) come back together in one IMPORT_REJECTED, nothing written.

A problem is an English template marked with N_ and filled with its values ("{column} must be one of {choices}" →
"kind must be one of household, business"): the error envelope (or the CLI) translates it when it writes it, with
the values kept (api/i18n). Core: imports no domain.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from api.errors import BadRequest
from api.i18n import N_

MAX_ERRORS = 50


class ImportRejected(BadRequest):
    code, message = "IMPORT_REJECTED", "The file was not imported: nothing was written. See details.errors."


def read_csv(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV with a header naming at least `required`; unknown columns refused."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    problems = [N_("missing column {column}").format(column=repr(c)) for c in required if c not in header]
    problems += [N_("unknown column {column}").format(column=repr(c)) for c in header if c not in columns]
    if problems:
        raise ImportRejected(details={"errors": problems})
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def validated(rows: Iterable[dict], key: str | tuple[str, ...], check: Callable[[dict], tuple[str | None, object]],
              *, first: int = 2, position: str = "line") -> tuple[list, list[dict]]:
    """Check every row with `check(row) -> (problem, values)` and refuse a `key` (a column, or several together)
    given twice; returns the rows' values and the problems ({position: n, key: value, "problem": …}, at most
    MAX_ERRORS; rows counted from `first`: a CSV's first row is its line 2). Callers write nothing when there is any
    problem: imports are all or nothing."""
    keys = (key,) if isinstance(key, str) else key
    out, problems, seen = [], [], set()
    for n, row in enumerate(rows, start=first):
        problem, values = check(row)
        value = tuple(row.get(k, "") for k in keys)
        if not problem and value in seen:
            problem = N_("duplicate {key} in the file").format(key=", ".join(keys))
        if problem:
            problems.append({position: n, **{k: row.get(k, "") for k in keys}, "problem": problem})
            if len(problems) >= MAX_ERRORS:
                break
            continue
        seen.add(value)
        out.append(values)
    return out, problems


def one_of(column: str, choices) -> str:
    """An import's problem: a column whose value is not one of `choices`."""
    return N_("{column} must be one of {choices}").format(column=column, choices=", ".join(choices))
