"""Who hears of new work: 核实/核查 tasks always land with someone, new cases reach the intake clerks, cases
awaiting 结案 approval reach the 值班长.

A field task goes to the nearest on-duty supervisor, else one on duty in the street, else one scoped to the
street (identity.field.nearest); then to the district-wide supervisors; and when there are none, to the command
centre's inbox, flagged, so that a person assigns it. Every step is recorded in the event's payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.cases import queries
from api.cases.models import Case
from api.identity import field
from api.notifications import inbox
from api.roles import Role


@dataclass(frozen=True)
class Assignment:
    assignee_id: int | None  # None: nobody could be chosen; the command centre's inbox holds it, flagged
    basis: str  # nearest_on_duty | street_on_duty | street_scope | district_scope | command_centre
    distance_m: float | None = None

    def payload(self) -> dict:
        return {"assignee_id": self.assignee_id, "basis": self.basis, "distance_m": self.distance_m}


def field_task(case: Case, kind: str, label: str) -> Assignment:
    """Choose the supervisor for a 核实 (kind verification_task) or 核查 (check_task) and tell them."""
    message = f"{label}任务：{case.description[:40]}"
    candidate = field.nearest(Role.SUPERVISOR, case.lat, case.lon, case.street_code)
    if candidate is not None:
        inbox.notify([candidate.user.id], kind, "case", case.id, message)
        return Assignment(candidate.user.id, candidate.basis, candidate.distance_m)
    district = queries.staff_with_role(Role.SUPERVISOR, district_wide=True)
    if district:
        inbox.notify([district[0]], kind, "case", case.id, message)
        return Assignment(district[0], "district_scope")
    command = queries.staff_with_role(Role.COMMAND_CENTRE) or queries.staff_with_role(Role.ADMIN)
    inbox.notify(command, kind, "case", case.id, f"无可派监督员，请指派{message}", flagged=True)
    return Assignment(None, "command_centre")


def announce_new_case(case: Case) -> None:
    """One unread notice per new case for the intake clerks whose scope includes it."""
    clerks = queries.staff_in_scope_of(Role.INTAKE_CLERK, case)
    if clerks:
        inbox.notify(clerks, "new_case", "case", case.id, f"新案件待受理：{case.description[:40]}")


def announce_awaiting_close(case: Case) -> None:
    """The 值班长 in scope hear that a case waits for their 结案 approval; with none, the command centre's inbox,
    flagged (a 值班长 account is missing)."""
    leads = queries.staff_in_scope_of(Role.SHIFT_LEAD, case)
    if leads:
        inbox.notify(leads, "close_approval", "case", case.id, f"待结案审批：{case.description[:40]}")
        return
    command = queries.staff_with_role(Role.COMMAND_CENTRE) or queries.staff_with_role(Role.ADMIN)
    inbox.notify(command, "close_approval", "case", case.id, f"无值班长，待结案审批：{case.description[:40]}",
                 flagged=True)
