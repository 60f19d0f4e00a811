"""Gas inspection documents as PDF bytes: the visit record (入户安检记录) with the resident's signature, and the
rectification notice (隐患整改通知书). Same page, fonts, invariant mode and QR as the receipts (render.py)."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader

from invoices.documents import RectificationNotice, VisitRecord
from invoices.render import MARGIN, PAGE, RED, SHANGHAI, _canvas, _grid, _qr, _text


def render_visit_record(doc: VisitRecord) -> bytes:
    out = io.BytesIO()
    canvas = _canvas(out, f"入户安检记录 {doc.number}", "燃气入户安全检查记录")
    width, height = PAGE
    right = width - MARGIN
    _text(canvas, width / 2, height - 12 * mm, "燃气入户安全检查记录", 14, centre=True)
    _qr(canvas, doc.verify_url, right - 20 * mm, height - 32 * mm, 20 * mm)
    started, finished = doc.started_at.astimezone(SHANGHAI), doc.finished_at.astimezone(SHANGHAI)
    lines = (f"记录编号：{doc.number}　燃气户号：{doc.gas_user}　用户类别：{doc.user_kind}",
             f"地址：{doc.address}",
             f"检查时间：{started:%Y年%m月%d日 %H:%M}—{finished:%H:%M}　检查结果：{doc.outcome}",
             f"安检员：{doc.inspector}（{doc.employer}）")
    for n, line in enumerate(lines):
        _text(canvas, MARGIN, height - (20 + 5.5 * n) * mm, line, 9)
    rows = [[item.title[:30], item.result, item.note[:20]] for item in doc.items]
    bottom = _grid(canvas, height - 44 * mm, [("检查项目", 0.62), ("结果", 0.12), ("说明", 0.26)], rows, set(),
                   row_h=5.2 * mm)
    y = bottom - 5 * mm
    for hazard in doc.hazards:
        _text(canvas, MARGIN, y, f"隐患（{hazard.level}）：{hazard.title[:40]}，整改期限 {hazard.deadline}", 8.5,
              colour=RED)
        y -= 4.5 * mm
    if doc.measures:
        _text(canvas, MARGIN, y, f"现场处置措施：{doc.measures[:60]}", 8.5, colour=RED)
        y -= 4.5 * mm
    if doc.note:
        _text(canvas, MARGIN, y, f"备注：{doc.note[:80]}", 8.5)
    _text(canvas, MARGIN, 9 * mm, "本次入户安全检查免费，安检员不收取任何费用、不推销任何产品。", 8)
    _text(canvas, right - 45 * mm, 14 * mm, "用户签名：", 9)
    if doc.signature:
        canvas.drawImage(ImageReader(io.BytesIO(doc.signature)), right - 30 * mm, 9 * mm, 30 * mm, 12 * mm,
                         preserveAspectRatio=True, mask="auto")
    _text(canvas, MARGIN, 4 * mm, f"核验安检员：{doc.verify_url}", 6)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def render_rectification_notice(doc: RectificationNotice) -> bytes:
    out = io.BytesIO()
    canvas = _canvas(out, f"隐患整改通知书 {doc.number}", "燃气安全隐患整改通知书")
    width, height = PAGE
    right = width - MARGIN
    _text(canvas, width / 2, height - 14 * mm, "燃气安全隐患整改通知书", 15, centre=True, colour=RED)
    _qr(canvas, doc.verify_url, right - 20 * mm, height - 34 * mm, 20 * mm)
    found = doc.found_at.astimezone(SHANGHAI)
    lines = (f"通知书编号：{doc.number}　案件编号：{doc.case_number}",
             f"用户：{doc.contact}（燃气户号 {doc.gas_user}）",
             f"地址：{doc.address}",
             f"经{found:%Y年%m月%d日}入户安全检查，发现以下燃气安全隐患：",
             f"【{doc.hazard.level}】{doc.hazard.title}",
             f"整改要求：{doc.requirement}",
             f"请于 {doc.hazard.deadline} 前完成整改，届时安检员将上门复查；复查合格后本隐患方予销号。")
    for n, line in enumerate(lines):
        _text(canvas, MARGIN, height - (24 + 7 * n) * mm, line, 10 if n in (4, 6) else 9,
              colour=RED if n == 4 else colors.black)
    _text(canvas, MARGIN, 16 * mm, f"安检员：{doc.inspector}　单位：{doc.employer}", 9)
    _text(canvas, MARGIN, 10 * mm, "入户安全检查免费；如有人以整改为名上门推销、收费，请拨打110。", 8)
    _text(canvas, MARGIN, 4 * mm, f"核验安检员：{doc.verify_url}", 6)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
