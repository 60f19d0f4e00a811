"""A content verdict that arrives after the citizen submitted: the case's intake clerks are told, flagged.

The verdicts themselves are the reports domain's (api/reports/checks.py); this is where a report meets its
case. The case carries a `content_flagged` event (what, which verdict) and the report is flagged for review on
the case's detail; nothing a citizen wrote is shown to other citizens, so a late verdict harms nobody.
"""

from __future__ import annotations

from api.cases import queries as case_queries
from api.events.service import Actor, record
from api.notifications import inbox
from api.reports.checks import Outcome
from api.reports.models import Report
from api.roles import Role

WORDS = {"risky": "违规", "review": "疑似敏感", "unchecked": "未能完成内容安全检测"}


def flag_case(report: Report, outcome: Outcome) -> None:
    case = case_queries.case_of_report(report.id)
    if case is None:
        return
    what = "文字" if outcome.item.kind == "text" else "照片"
    record("case", case.id, "content_flagged", Actor.system(), reason=outcome.error,
           payload={"report_id": report.id, "what": outcome.item.kind, "verdict": outcome.verdict or "unchecked",
                    "media_id": outcome.item.id if outcome.item.kind == "photo" else None})
    clerks = case_queries.staff_in_scope_of(Role.INTAKE_CLERK, case) or case_queries.staff_with_role(
        Role.COMMAND_CENTRE)
    verdict = WORDS.get(outcome.verdict or "unchecked", outcome.verdict)
    message = f"市民上报{what}{verdict}，请复核：{case.description[:30]}"
    inbox.notify(clerks, "content_flagged", "case", case.id, message, flagged=True)
