"""A leak's alert to the gas company's 24-hour repair line: recorded with the hazard (`repair_alert` pending → sent
| failed), POSTed by a retried job after the commit (jobs.ALERT_GAS_REPAIR), as the 12345 answers are.

The body is JSON (the place, the gas user, the case number, the inspector's on-site measures, who to call back);
`X-Timestamp` and `X-Signature` (hex HMAC-SHA256 of "<timestamp>.<body>" under GAS_REPAIR_SIGNING_KEY) let the
company check it came from us and is fresh. Delivery is at least once: a worker that dies after the company's 2xx
but before its commit sends again, so the body carries `alert_id` (gas-leak-<hazard id>, also in `X-Alert-Id`) for
the company to drop a repeat; no row lock is held across the POST. A 2xx answer records `gas_repair_alerted` (once);
when every retry failed, `gas_repair_alert_failed` is recorded and the street's gas supervisors and the command
centre are told, flagged, to phone GAS_REPAIR_CONTACT. Without GAS_REPAIR_ALERT_URL no alert is sent: the leak's
notices tell the same people to phone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from api import geo, jobs, timefmt
from api.cases.models import Case
from api.cases.queries import staff_with_role
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.gas.models import GasHazard, GasUser, GasVisit
from api.gas.planning import supervisors
from api.identity.models import User
from api.notifications import inbox
from api.outbox import service as outbox
from api.premises.models import Premises
from api.roles import Role

MEASURE_NAMES = {"shut_valve": "关阀", "ventilate": "通风", "evacuate": "疏散"}


class RepairLineError(RuntimeError):
    """The gas company's platform did not take the alert (retried by RQ)."""


def measures_of(visit: GasVisit) -> list[str]:
    # read defensively: the visit's measures arrived with migration 0023
    return [m for m in (getattr(visit, "measures", None) or []) if m in MEASURE_NAMES]


def contact() -> str:
    return get_config().GAS_REPAIR_CONTACT or "燃气企业24小时抢修电话（未配置）"


def queue(hazard: GasHazard) -> bool:
    """With the leak's case: the alert goes out by a job after this commit (False: no line is configured)."""
    if not get_config().GAS_REPAIR_ALERT_URL:
        return False
    hazard.repair_alert = "pending"
    record("gas_hazard", hazard.id, "gas_repair_alert_queued", Actor.system(), payload={"case_id": hazard.case_id})
    outbox.add(jobs.ALERT_GAS_REPAIR(hazard.id))
    return True


def body_of(hazard: GasHazard) -> dict:
    visit, user = Session.get(GasVisit, hazard.visit_id), Session.get(GasUser, hazard.gas_user_id)
    place, case = Session.get(Premises, user.premises_id), Session.get(Case, hazard.case_id)
    inspector = Session.get(User, visit.inspector_id)
    measures = measures_of(visit)
    return {"kind": "gas_leak", "alert_id": alert_id(hazard.id), "hazard_id": hazard.id,
            "case_no": case.case_no if case else None, "found_at": timefmt.local(hazard.found_at).isoformat(),
            "address": place.address,
            "gas_user": user.number, "supplier": user.supplier, "resident": user.contact_name,
            "resident_phone": user.phone, "location": geo.both_systems(case.lat, case.lon) if case else None,
            "inspector": inspector.display_name if inspector else None,
            "measures": [{"code": m, "name": MEASURE_NAMES[m]} for m in measures],
            "note": visit.note, "call_back": contact()}


def alert_id(hazard_id: int) -> str:
    return f"gas-leak-{hazard_id}"


def prepare(hazard_id: int) -> tuple[bytes, dict] | None:
    """The signed alert for a leak not yet alerted (None: gone or already sent) — a read, in its own unit of work,
    so that no transaction or row lock is held while the company's line answers (workers/gas.py)."""
    hazard = Session.get(GasHazard, hazard_id)
    if hazard is None or hazard.repair_alert == "sent":
        return None
    body = json.dumps(body_of(hazard), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(get_config().GAS_REPAIR_SIGNING_KEY.encode(), timestamp.encode() + b"." + body,
                         hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json; charset=utf-8", "X-Timestamp": timestamp,
                  "X-Signature": signature, "X-Alert-Id": alert_id(hazard_id)}


def post(body: bytes, headers: dict) -> int:
    """POST the alert (no database); the HTTP status of a 2xx, RepairLineError otherwise (RQ retries)."""
    response = requests.post(get_config().GAS_REPAIR_ALERT_URL, data=body, timeout=10, headers=headers)
    if not 200 <= response.status_code < 300:
        raise RepairLineError(f"the gas company's repair line answered HTTP {response.status_code}")
    return response.status_code


def mark_sent(hazard_id: int, http_status: int) -> str:
    """The company took it: recorded once, whichever run got there first."""
    hazard = Session.get(GasHazard, hazard_id, with_for_update=True)
    if hazard is None or hazard.repair_alert == "sent":
        return "already sent"
    before = hazard.repair_alert
    hazard.repair_alert, hazard.repair_alerted_at = "sent", utcnow()
    record("gas_hazard", hazard.id, "gas_repair_alerted", Actor.system(), from_state=before, to_state="sent",
           payload={"case_id": hazard.case_id, "http_status": http_status})
    return "sent"


def give_up(hazard_id: int, error: str) -> None:
    hazard = Session.get(GasHazard, hazard_id, with_for_update=True)
    if hazard is None or hazard.repair_alert == "sent":
        return
    before = hazard.repair_alert
    hazard.repair_alert = "failed"
    record("gas_hazard", hazard.id, "gas_repair_alert_failed", Actor.system(), from_state=before, to_state="failed",
           reason=error[:200], payload={"case_id": hazard.case_id})
    user = Session.get(GasUser, hazard.gas_user_id)
    told = supervisors(user.street_code) + staff_with_role(Role.COMMAND_CENTRE)
    inbox.notify(told, "gas_repair_alert_failed", "case", hazard.case_id,
                 f"燃气泄漏抢修通知未能自动送达燃气企业，请立即电话通知：{contact()}", flagged=True)
