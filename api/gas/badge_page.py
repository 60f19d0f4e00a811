"""The badge check as a phone shows it: what a resident's camera opens when they scan an inspector's QR — the status
said plainly, the photo (inlined), name, employer, validity and the advice, on the inert page of api/pages.py."""

from __future__ import annotations

from flask import Response

from api import pages
from api.gas.badges import Check
from api.media.storage import get_storage

VERDICTS = {"valid": "✔ 证件有效", "expired": "✘ 证件已过期", "revoked": "✘ 证件已注销或作废",
            "forged": "✘ 非本系统签发的证件"}


def _day(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "—"


def _photo(result: Check) -> pages.Photo | None:
    if result.photo is None or not result.answer["genuine"]:
        return None
    return pages.Photo(result.photo.content_type_for("thumb"), get_storage().get(result.photo.key_for("thumb")))


def render(result: Check) -> Response:
    answer = result.answer
    facts = [("姓名", answer["name"] or "—"), ("单位", answer["employer"]), ("发证日期", _day(answer["issued_on"])),
             ("有效期至", _day(answer["valid_until"]))] if answer["genuine"] else []
    return pages.verdict_page(title="燃气安检员证件核验", verdict=VERDICTS[answer["status"]], ok=answer["valid"],
                              facts=facts, note=answer["advice"], photo=_photo(result))
