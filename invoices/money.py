"""Amounts: integer fen → yuan figures and Chinese capitals (大写金额).

The capitals come from cn2an's RMB mode; the one rule it leaves out is added here: an amount that stops at 元 or
角 ends in 整 (《会计基础工作规范》第五十二条: 大写金额数字到元或者角为止的，在“元”或者“角”字之后应当写“整”字；
有分的，分字后面不写“整”字). A negative amount (a reversal) is written 负 + its capitals.
"""

from __future__ import annotations

import cn2an


def yuan(fen: int) -> str:
    """1234 → "12.34"; -50 → "-0.50"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def capitals(fen: int) -> str:
    """1234 → 壹拾贰元叁角肆分; 1050 → 壹拾元伍角整; 10000 → 壹佰元整; -500 → 负伍元整."""
    if fen < 0:
        return "负" + capitals(-fen)
    text = cn2an.an2cn(yuan(fen), "rmb")
    if fen % 100 and fen % 10 == 0 and not text.endswith("整"):
        text += "整"  # stops at 角
    return text
