"""Wire the parts that meet only at start-up, in every process (web, worker, clock, CLI, tests).

- every mapped class is imported (relationships resolve by name);
- the case engine's followers hear from the citizen view (each reporter is told how their case moves on);
- case sources that live outside api.cases register here (gas inspection's hazards).
"""

from __future__ import annotations


def wire() -> None:
    from api import models  # noqa: F401 - complete the mappers
    from api.cases import followers
    from api.citizen.service import tell_reporters
    from api.gas import hazards  # noqa: F401 - registers the gas_inspection case source
    from api.open311 import source  # noqa: F401 - registers the open311 case source

    followers.listen(tell_reporters)
