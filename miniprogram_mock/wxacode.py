"""wxa/getwxacodeunlimit: a real PNG (a QR code of the scene; WeChat draws a round 小程序码)."""

from __future__ import annotations

import io
import re

from flask import Blueprint, Response, jsonify
from PIL import Image, ImageDraw
from reportlab.graphics.barcode import qrencoder

from miniprogram_mock.common import json_body, wechat_api
from miniprogram_mock.state import error

bp = Blueprint("mock_wxacode", __name__)

SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


def render_code(scene: str, width: int) -> bytes:
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(scene)
    qr.make()
    n = qr.getModuleCount()
    cell = max(1, width // (n + 8))
    size = cell * (n + 8)
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    for row in range(n):
        for col in range(n):
            if qr.isDark(row, col):
                x, y = (col + 4) * cell, (row + 4) * cell
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill="black")
    img = img.resize((width, width), Image.Resampling.NEAREST)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@bp.post("/wxa/getwxacodeunlimit")
@wechat_api("getwxacodeunlimit")
def getwxacodeunlimit():
    body = json_body()
    scene = body.get("scene")
    if not isinstance(scene, str) or not SCENE_RE.match(scene):
        return jsonify(error(40169, "invalid length for scene, or the data is not json string"))
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or page.startswith("/") or not page):
        return jsonify(error(41030, "invalid page hint"))
    width = int(body.get("width") or 430)
    width = min(1280, max(280, width))
    return Response(render_code(scene, width), mimetype="image/png")
