"""监督员巡查: a supervisor's own report is accepted (立案) as it opens; nobody needs to review it first."""

from __future__ import annotations

from api.cases.common import SYSTEM_ROLES
from api.cases.lifecycle import CaseAction, transition
from api.cases.models import Case
from api.cases.sources import Source, register
from api.events.service import Actor


class Patrol(Source):
    name, label = "patrol", "监督员巡查"

    def on_open(self, case: Case, actor: Actor) -> None:
        transition(case, CaseAction.ACCEPT, Actor.system(), SYSTEM_ROLES, reason="监督员巡查上报，直接立案")


register(Patrol())
