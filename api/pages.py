"""The small pages a phone opens from a QR code (a receipt's, an inspector's badge): one verdict in Chinese, a few
facts, advice — no script, nothing loaded from elsewhere. The one style block is allowed by its hash and nothing
else by the CSP (an inlined `data:` photo where a page carries one), so the page stays inert whatever it shows.

Core, next to the error envelope: it knows no domain; the receipts and the badge check each say what to show.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from flask import Response
from markupsafe import escape
from werkzeug.datastructures import MIMEAccept

STYLE = ("body{font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;padding:1.2em;"
         "color:#222;background:#f6f6f6}main{background:#fff;border-radius:8px;padding:1em 1.2em;max-width:32em;"
         "margin:auto}h1{font-size:1.2em;margin:.2em 0 .6em}.verdict{font-size:1.3em;font-weight:bold;padding:.6em;"
         "border-radius:6px;text-align:center}.ok{background:#e7f6ec;color:#1a7f37}.bad{background:#fdecea;"
         "color:#b42318}img{display:block;width:160px;margin:12px auto;border-radius:6px}"
         "dl{display:grid;grid-template-columns:max-content 1fr;gap:.5em 1em;margin:.8em 0}dt{color:#666}"
         "dd{margin:0}p.note{color:#555;font-size:.9em;line-height:1.6}")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def csp(images: bool = False) -> str:
    """Only the style above applies; an inlined photo (`data:`) where the page has one; no form, no framing."""
    img = "data:" if images else "'none'"
    return (f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src {img}; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


def wants_html(accept: MIMEAccept) -> bool:
    """A browser (a phone that scanned the QR) prefers HTML; API callers, `*/*` and no Accept get JSON."""
    return accept.best_match(["application/json", "text/html"]) == "text/html"


def verdict_page(*, title: str, verdict: str, ok: bool, facts: list[tuple[str, str]], note: str,
                 photo: Photo | None = None) -> Response:
    """The page: `title`, the `verdict` in green (ok) or red, the photo, the facts as a list, the note. Every text is
    escaped; the answer may not be stored by a cache (it says what is true now) and varies with Accept (the same
    URL answers JSON to API callers)."""
    image = ""
    if photo is not None:
        image = (f'<img alt="照片" src="data:{escape(photo.content_type)};base64,'
                 f'{base64.b64encode(photo.data).decode()}">')
    cells = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    html = ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main><h1>{escape(title)}</h1>"
            f"<p class=\"verdict {'ok' if ok else 'bad'}\">{escape(verdict)}</p>{image}"
            f"{'<dl>' + cells + '</dl>' if cells else ''}<p class=\"note\">{escape(note)}</p></main></body></html>\n")
    return Response(html, 200, mimetype="text/html", headers={
        "Content-Security-Policy": csp(images=photo is not None), "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Vary": "Accept"})
