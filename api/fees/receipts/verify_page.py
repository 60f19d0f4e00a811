"""The page a receipt's QR opens on a phone: the verification verdict in Chinese (api/pages.py keeps it inert)."""

from __future__ import annotations

from datetime import datetime

from flask import Response

from api import pages, timefmt

STATUS = {"valid": "有效", "reversed": "已冲红（原票据已作废）", "reversal": "红字票据（冲红凭证）"}


def response(verdict: dict, issuer: str) -> Response:
    """The page for `verdict` (what /receipts/verify answers as JSON)."""
    if not verdict.get("genuine"):
        return pages.verdict_page(
            title="票据查验", verdict="✘ 未通过查验", ok=False, facts=[("开具单位", issuer)],
            note="此二维码不是本单位开具的票据，或其内容已被改动。请勿凭此办理业务，如有疑问请向开具单位核实。")
    amount = verdict["amount_yuan"]
    amount = f"-¥{amount[1:]}" if amount.startswith("-") else f"¥{amount}"
    facts = [("票据代码", verdict["code"]), ("票据号码", verdict["number"]), ("交款人", verdict["payer"]),
             ("金额", amount), ("状态", STATUS.get(verdict["status"], verdict["status"])),
             ("开具时间", _when(verdict.get("issued_at"))), ("开具单位", issuer)]
    return pages.verdict_page(title="票据查验", verdict="✔ 票据真实", ok=True, facts=facts,
                              note="本页面由开具单位的查验服务生成，仅显示票据的核验结果。")


def _when(value: datetime | None) -> str:
    return f"{timefmt.local(value):%Y-%m-%d %H:%M}" if value is not None else "—"
