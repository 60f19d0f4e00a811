"""The 12345 hotline source: a transfer waits at the intake desk; once it ends, the platform gets an answer.

A hotline case that ended is POSTed back with its ticket number and result.

The body is JSON; `X-Timestamp` and `X-Signature` (hex HMAC-SHA256 of "<timestamp>.<body>" with
HOTLINE_SIGNING_KEY) let the platform check it came from us and is fresh. Sent by a job after the case's
final transition; a 2xx answer is recorded as the `hotline_answered` event (so a retry never sends twice);
when every retry failed, `hotline_answer_failed` is recorded and the intake clerks get an inbox notice to
answer by hand.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests
import sqlalchemy as sa

from api import jobs
from api.cases import queries
from api.cases.lifecycle import CaseStatus
from api.cases.models import Case
from api.cases.sources import Source, register
from api.config import get_config
from api.db import Session
from api.events.models import Event
from api.events.service import Actor, record
from api.notifications import inbox
from api.outbox import service as outbox
from api.roles import Role

S = CaseStatus
ENDINGS = (S.CLOSED, S.REFUSED, S.MERGED)


class Hotline(Source):
    name, label = "hotline", "12345热线转办"

    def on_end(self, case: Case) -> None:
        """The answer goes back to the platform by a job after this commit (when a platform is configured)."""
        if case.status in ENDINGS and get_config().HOTLINE_ANSWER_URL:
            outbox.add(jobs.ANSWER_HOTLINE(case.id))


register(Hotline())


def answer_of(case: Case) -> dict | None:
    """What goes back to the 12345 platform for a hotline case once it ends (closed, refused or merged)."""
    if case.source != Hotline.name or case.status not in ENDINGS:
        return None
    last = Session.scalar(sa.select(Event).where(Event.subject_type == "case", Event.subject_id == case.id,
                                                 Event.action.in_(("check_pass", "approve_close", "refuse", "merge")))
                          .order_by(Event.id.desc()))
    return {"external_ticket_no": case.external_ticket_no, "outcome": case.status,
            "result": case.result_text if case.status == S.CLOSED else (last.reason if last else None),
            "finished_at": last.created_at if last else None}


class HotlinePlatformError(RuntimeError):
    """The 12345 platform did not take the answer (retried by RQ)."""


def sign(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_answer(case_id: int) -> str:
    case = Session.get(Case, case_id)
    if case is None:
        return "gone"
    if _answered(case.id):
        return "already answered"
    answer = answer_of(case)
    if answer is None:
        return "nothing to answer"
    config = get_config()
    body = json.dumps({**answer, "case_no": case.case_no, "finished_at": answer["finished_at"].isoformat()
                       if answer["finished_at"] else None}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    response = requests.post(config.HOTLINE_ANSWER_URL, data=body, timeout=10, headers={
        "Content-Type": "application/json; charset=utf-8", "X-Timestamp": timestamp,
        "X-Signature": sign(config.HOTLINE_SIGNING_KEY, timestamp, body)})
    if not 200 <= response.status_code < 300:
        raise HotlinePlatformError(f"12345 platform answered HTTP {response.status_code}")
    record("case", case.id, "hotline_answered", Actor.system(),
           payload={"external_ticket_no": case.external_ticket_no, "outcome": answer["outcome"],
                    "http_status": response.status_code})
    return "answered"


def give_up(case_id: int, error: str) -> None:
    case = Session.get(Case, case_id)
    if case is None or _answered(case_id):
        return
    record("case", case.id, "hotline_answer_failed", Actor.system(), reason=error[:200],
           payload={"external_ticket_no": case.external_ticket_no})
    inbox.notify(queries.staff_with_role(Role.INTAKE_CLERK), "hotline_answer_failed", "case", case.id,
                 f"12345工单{case.external_ticket_no}未能自动回复，请人工回复")


def _answered(case_id: int) -> bool:
    return Session.scalar(sa.select(Event.id).where(Event.subject_type == "case", Event.subject_id == case_id,
                                                    Event.action == "hotline_answered").limit(1)) is not None
