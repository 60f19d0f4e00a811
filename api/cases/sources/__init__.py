"""Where a case came from decides a few things; each source is a registered object with hooks.

The engine's stages (intake, handling, deadlines) call the hooks and never branch on `case.source`:
- `on_open(case, actor)`: what opening sets or does next (default: the intake clerks in scope are told; a
  supervisor's patrol report is accepted at once).
- `time_limit(case)`: the 处置 time limit and its clock (default: the 小类's, from the taxonomy).
- `before_close(case)`: what closing requires beyond a passed 核查 (raise a DomainError to refuse; a gas
  hazard will require a passed re-inspection).
- `on_end(case)`: what happens once a case has ended, closed, refused, merged or withdrawn (the 12345 hotline
  answers the platform).

A new source is a new module that subclasses `Source` and calls `register()`; the engine is not edited. The
built-in ones are imported at the bottom of this module; a vertical outside `api.cases` (gas inspection)
registers its own when the app or worker is wired (api/wiring.py).
"""

from __future__ import annotations

from api.cases import assignment
from api.cases.models import SOURCES, Case
from api.events.service import Actor
from api.taxonomy import service as taxonomy

_REGISTRY: dict[str, Source] = {}


class Source:
    name: str = ""
    label: str = ""

    def on_open(self, case: Case, actor: Actor) -> None:
        assignment.announce_new_case(case)

    def time_limit(self, case: Case) -> tuple[int, str]:
        return taxonomy.time_limit_of(case.category_id)

    def before_close(self, case: Case) -> None:
        return None

    def on_end(self, case: Case) -> None:
        return None


def register(source: Source) -> Source:
    if source.name not in SOURCES:
        raise ValueError(f"unknown case source {source.name!r}: add it to api.cases.models.SOURCES (and a migration)")
    _REGISTRY[source.name] = source
    return source


def source_of(case: Case) -> Source:
    return get(case.source)


def get(name: str) -> Source:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no case source {name!r} is registered") from None


def registered() -> dict[str, Source]:
    return dict(_REGISTRY)


class _Plain(Source):
    """A source with the default hooks: waits at the intake desk, taxonomy time limits, nothing at the end."""

    def __init__(self, name: str, label: str):
        self.name, self.label = name, label


for _name, _label in (("citizen", "市民上报"), ("camera", "视频智能识别"), ("sensor", "物联感知"),
                      ("drone", "无人机巡查")):
    register(_Plain(_name, _label))

from api.cases.sources import hotline, patrol  # noqa: E402, F401 - built-in sources with hooks of their own
