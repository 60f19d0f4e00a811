"""The CJK font receipts are drawn with, registered once per process.

An embedded TrueType font when one is installed (Debian's `fonts-wqy-zenhei`: reportlab reads its TrueType
outlines; `fonts-noto-cjk` has PostScript outlines reportlab cannot embed), else reportlab's CID font
STSong-Light, which needs no file but is not embedded (the viewer substitutes a Song face; text extraction still
works). `INVOICE_FONT_FILE` names another .ttf/.ttc. Golden files are pinned per font name: `font()` says which.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc")
TTF_NAME, CID_NAME = "WenQuanYiZenHei", "STSong-Light"
_lock = threading.Lock()
_registered: str | None = None


def font_file() -> Path | None:
    """The TrueType file that will be embedded, if any."""
    configured = os.environ.get("INVOICE_FONT_FILE")
    for candidate in ([configured] if configured else []) + list(CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def font() -> str:
    """Register the font once (about 150 ms for the TrueType one) and return its name."""
    global _registered
    if _registered is None:
        with _lock:
            if _registered is None:
                path = font_file()
                if path is not None:
                    pdfmetrics.registerFont(TTFont(TTF_NAME, str(path), subfontIndex=0))
                    _registered = TTF_NAME
                else:
                    pdfmetrics.registerFont(UnicodeCIDFont(CID_NAME))
                    _registered = CID_NAME
    return _registered


def use(name: str) -> None:
    """Force one font for this process (the golden tests render with each)."""
    global _registered
    with _lock:
        if name == CID_NAME:
            pdfmetrics.registerFont(UnicodeCIDFont(CID_NAME))
        elif name == TTF_NAME:
            path = font_file()
            if path is None:
                raise FileNotFoundError("no CJK TrueType font installed (fonts-wqy-zenhei)")
            pdfmetrics.registerFont(TTFont(TTF_NAME, str(path), subfontIndex=0))
        else:
            raise ValueError(name)
        _registered = name
