"""The operator's emergency brake: automatic dispatch on or off, at once, for every classify worker.

The workers read the switch on each decision (one primary-key read), so switching it through the admin API acts on
the next report without a restart. The deployment setting AUTO_DISPATCH=0 still switches it off for good.
"""

from __future__ import annotations

from api.config import get_config
from api.db import Session
from api.events.service import Actor, record
from api.intake.models import IntakeSwitch

AUTO_DISPATCH = "auto_dispatch"


def auto_dispatch() -> IntakeSwitch:
    """The switch as stored (not yet stored: on)."""
    return Session.get(IntakeSwitch, AUTO_DISPATCH) or IntakeSwitch(name=AUTO_DISPATCH, enabled=True)


def auto_dispatch_on() -> bool:
    return get_config().AUTO_DISPATCH and auto_dispatch().enabled


def set_auto_dispatch(enabled: bool, reason: str, actor: Actor) -> IntakeSwitch:
    row = Session.get(IntakeSwitch, AUTO_DISPATCH) or IntakeSwitch(name=AUTO_DISPATCH)
    previous = row.enabled if row.enabled is not None else True
    row.enabled, row.reason = enabled, reason
    row.updated_by = actor.id if actor.type == "staff" else None
    Session.add(row)
    record("intake_switch", 0, "auto_dispatch_switched", actor,
           payload={"from": previous, "to": enabled, "reason": reason})
    Session.flush()
    return row
