"""Answering the 12345 platform: a hotline case that ended is POSTed back with its ticket number and result.

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

from api.cases import queries, service
from api.cases.models import Case
from api.config import get_config
from api.db import Session
from api.events.models import Event
from api.events.service import Actor, record
from api.notifications import inbox
from api.roles import Role


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
    answer = service.hotline_answer(case)
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
    Session.commit()
    return "answered"


def give_up(case_id: int, error: str) -> None:
    case = Session.get(Case, case_id)
    if case is None or _answered(case_id):
        return
    record("case", case.id, "hotline_answer_failed", Actor.system(), reason=error[:200],
           payload={"external_ticket_no": case.external_ticket_no})
    inbox.notify(queries.staff_with_role(Role.INTAKE_CLERK), "hotline_answer_failed", "case", case.id,
                 f"12345工单{case.external_ticket_no}未能自动回复，请人工回复")
    Session.commit()


def _answered(case_id: int) -> bool:
    return Session.scalar(sa.select(Event.id).where(Event.subject_type == "case", Event.subject_id == case_id,
                                                    Event.action == "hotline_answered").limit(1)) is not None
