"""cgi-bin/message/subscribe/send: one-time quota per (openid, template) and the value rules (47003)."""

from __future__ import annotations

import re
import time

from flask import Blueprint, jsonify

from miniprogram_mock.common import json_body, state, wechat_api
from miniprogram_mock.state import error

bp = Blueprint("mock_messages", __name__)

LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "phone_number": 17,
          "car_number": 8, "name": 20, "phrase": 5, "amount": 11}
RULES = {
    "number": re.compile(r"^\d+(\.\d+)?$"),
    "letter": re.compile(r"^[A-Za-z]+$"),
    "character_string": re.compile(r"^[0-9A-Za-z\-_.:/#@+]+$"),
    "phrase": re.compile(r"^[\u4e00-\u9fff]+$"),
    "time": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2}(:\d{2})?)?(~.+)?$"),
    "date": re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2}(:\d{2})?)?$"),
    "amount": re.compile(r"^[¥$￥]?\d{1,10}(\.\d{1,2})?元?$"),
    "phone_number": re.compile(r"^[\d+\-() ]+$"),
}
STATES = ("developer", "trial", "formal")


def invalid_value(key: str, value: object) -> bool:
    kind = key.rstrip("0123456789")
    if not isinstance(value, str) or not value:
        return True
    if kind == "name":  # ≤ 10 Chinese characters or ≤ 20 letters
        limit = 10 if re.search(r"[\u4e00-\u9fff]", value) else 20
        return len(value) > limit
    if kind in LIMITS and len(value) > LIMITS[kind]:
        return True
    rule = RULES.get(kind)
    return bool(rule and not rule.match(value))


@bp.post("/cgi-bin/message/subscribe/send")
@wechat_api("subscribe_send")
def send():
    body, st = json_body(), state()
    touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
    with st.lock:
        if touser not in st.users:
            return jsonify(error(40003, "invalid openid"))
        keys = st.templates.get(template_id or "")
        if keys is None:
            return jsonify(error(40037, "invalid template_id"))
        if body.get("miniprogram_state", "formal") not in STATES:
            return jsonify(error(47003, "argument invalid! miniprogram_state invalid"))
        if not isinstance(data, dict):
            return jsonify(error(47003, "argument invalid! data invalid"))
        for key in keys:
            entry = data.get(key)
            if not isinstance(entry, dict) or invalid_value(key, entry.get("value")):
                return jsonify(error(47003, f"argument invalid! data.{key}.value invalid"))
        page = body.get("page")
        if page is not None and (not isinstance(page, str) or page.startswith("/") or len(page) > 128):
            return jsonify(error(41030, "invalid page"))
        if st.quotas[(touser, template_id)] <= 0:
            return jsonify(error(43101, "user refuse to accept the msg"))
        st.quotas[(touser, template_id)] -= 1
        st.messages.append({"touser": touser, "template_id": template_id, "data": data, "page": page,
                            "miniprogram_state": body.get("miniprogram_state", "formal"),
                            "lang": body.get("lang", "zh_CN"), "sent_at": time.time()})
    return jsonify({"errcode": 0, "errmsg": "ok"})
