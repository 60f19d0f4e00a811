"""wxa/msg_sec_check (1.0 and 2.0) and wxa/img_sec_check.

WeChat's classifiers are opaque; the simulator stands in with documented rules a test can steer:
text containing a configured risky word is `risky` (label 20001 … see state), a review word is `review`;
an image whose mean colour is saturated pure red (R ≥ 200, G and B ≤ 40) is risky. Control endpoints
replace the word lists.
"""

from __future__ import annotations

import io
import secrets

from flask import Blueprint, jsonify, request
from PIL import Image, UnidentifiedImageError

from miniprogram_mock.common import json_body, state, wechat_api
from miniprogram_mock.state import error

bp = Blueprint("mock_security", __name__)

IMG_MAX = (750, 1334)


def _classify(text: str) -> tuple[str, int]:
    st = state()
    with st.lock:
        if any(word in text for word in st.risky_words):
            return "risky", 20001
        if any(word in text for word in st.review_words):
            return "review", 21000
    return "pass", 100


@bp.post("/wxa/msg_sec_check")
@wechat_api("msg_sec_check")
def msg_sec_check():
    body = json_body()
    content = body.get("content")
    if not isinstance(content, str) or not content:
        return jsonify(error(47001, "data format error"))
    if len(content) > 2500:
        return jsonify(error(47001, "content too long"))
    suggest, label = _classify(" ".join(str(body.get(k, "")) for k in ("content", "title", "nickname", "signature")))
    if body.get("version") != 2:  # 1.0: risk is the errcode
        return jsonify(error(87014, "risky content") if suggest == "risky" else {"errcode": 0, "errmsg": "ok"})
    if body.get("openid") not in state().users:
        return jsonify(error(40003, "invalid openid"))
    if body.get("scene") not in (1, 2, 3, 4):
        return jsonify(error(40129, "invalid scene"))
    detail = [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label,
               "prob": 90 if suggest != "pass" else 0}]
    return jsonify({"errcode": 0, "errmsg": "ok", "trace_id": secrets.token_hex(12),
                    "result": {"suggest": suggest, "label": label}, "detail": detail})


@bp.post("/wxa/img_sec_check")
@wechat_api("img_sec_check")
def img_sec_check():
    upload = request.files.get("media")
    if upload is None:
        return jsonify(error(41005, "media data missing"))
    try:
        with Image.open(io.BytesIO(upload.read())) as img:
            if img.width > IMG_MAX[0] or img.height > IMG_MAX[1]:
                return jsonify(error(40006, "invalid media size"))
            mean = _mean_rgb(img)
    except (UnidentifiedImageError, OSError):
        return jsonify(error(40005, "invalid file type"))
    if mean[0] >= 200 and mean[1] <= 40 and mean[2] <= 40:
        return jsonify(error(87014, "risky content"))
    return jsonify({"errcode": 0, "errmsg": "ok"})


def _mean_rgb(img: Image.Image) -> tuple[float, float, float]:
    img.draft("RGB", (16, 16))  # a JPEG decoded at 1/8 scale: the simulator's CPU is not WeChat's, and in a
    small = img.convert("RGB").resize((16, 16))  # benchmark it shares the machine with the API
    pixels = list(small.get_flattened_data())
    n = len(pixels)
    return tuple(sum(p[i] for p in pixels) / n for i in range(3))
