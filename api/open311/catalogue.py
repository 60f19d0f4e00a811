"""Services: the citizen-facing categories (what the mini-program offers), as GeoReport v2 describes them.

`service_code` is the category's key; `group` its 大类 (the GB/T 30428 major class of the 小类 it stands for);
`keywords` the taxonomy's names and the synonyms the classifier is seeded with (api/classification/data/
keywords.csv); `metadata` false and no attributes — no category asks extra questions today. A filed request opens
its case with the category's first 小类 (as a citizen's hint does); `other` leaves the 小类 to the 受理 clerk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from api.classification.text import keywords
from api.i18n import gettext
from api.open311.errors import NotFound
from api.reports.categories import BY_KEY, CATEGORIES
from api.taxonomy import service as taxonomy
from api.taxonomy.errors import CategoryNotFound

OTHER = "other"


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    category_code: str | None

    def record(self) -> dict:
        return {"service_code": self.code, "service_name": self.name, "description": self.description,
                "metadata": False, "type": "realtime", "keywords": ",".join(self.keywords), "group": self.group}


def _service(key: str) -> Service:
    choice = BY_KEY[key]
    names, group, resolved = [], "其他", []
    for code in choice.gbt_hints:
        try:
            category = taxonomy.current(code)
        except CategoryNotFound:
            continue  # a 小类 retired from the taxonomy: the service stands on the others
        names.append(category.name)
        resolved.append(code)
        group = group if names[:-1] else category.major_name
    words = list(dict.fromkeys(names + [w for code in choice.gbt_hints for w in keywords().get(code, [])]))
    shown = [n for n in names if n != choice.label]
    description = choice.label + (f"（{'、'.join(shown)}）" if shown else "")
    return Service(key, choice.label, description, group, tuple(words), resolved[0] if resolved else None)


CACHE_S = 60  # a taxonomy change (a new version of a 小类) shows in the services within a minute
_cached: tuple[float, dict[str, Service]] | None = None


def _all() -> dict[str, Service]:
    """Every service, built from the taxonomy at most once a minute per process (they are read on every filing)."""
    global _cached
    now = time.monotonic()
    if _cached is None or _cached[0] < now:
        built = {c.key: _service(c.key) for c in CATEGORIES}
        if not any(s.category_code for s in built.values()):
            return built  # the taxonomy is not loaded (yet): not kept
        _cached = (now + CACHE_S, built)
    return _cached[1]


def services() -> list[Service]:
    return list(_all().values())


def service(code: str) -> Service:
    if code not in BY_KEY:
        raise NotFound(unknown(code))
    return _all()[code]


def code_for(category_code: str | None) -> str:
    """The service a case of this 小类 is listed under (its first citizen category; `other` for the rest)."""
    for choice in CATEGORIES:
        if category_code in choice.gbt_hints:
            return choice.key
    return OTHER


def unknown(code: str) -> str:
    return gettext("Unknown service_code %(code)s: GET services for the list.", code=code[:40])
