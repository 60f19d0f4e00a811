"""Render documents to PDF bytes with reportlab: byte-stable for the same input and font.

Invariant mode fixes the document id and the creation date reportlab would otherwise take from the clock; the
page size is the fiscal e-receipt's 240 × 140 mm. The QR code (segno) carries the verification URL the document
was given.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import segno
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from invoices.documents import FiscalReceipt, VatInvoice
from invoices.fonts import font
from invoices.money import capitals, yuan


def _figures(fen: int) -> str:
    """(小写) figures: ¥12.34, -¥12.34."""
    return ("-" if fen < 0 else "") + "¥" + yuan(abs(fen))

PAGE = (240 * mm, 140 * mm)
SHANGHAI = ZoneInfo("Asia/Shanghai")
RED = colors.Color(0.72, 0.11, 0.11)
MARGIN = 10 * mm


def _canvas(out: io.BytesIO, title: str, subject: str) -> Canvas:
    canvas = Canvas(out, pagesize=PAGE, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setAuthor("穗云智慧城管")
    canvas.setCreator("suiyun invoices")
    return canvas


def _text(canvas: Canvas, x: float, y: float, text: str, size: float = 9, *, centre: bool = False,
          right: bool = False, colour=colors.black) -> None:
    canvas.setFillColor(colour)
    canvas.setFont(font(), size)
    if centre:
        canvas.drawCentredString(x, y, text)
    elif right:
        canvas.drawRightString(x, y, text)
    else:
        canvas.drawString(x, y, text)


def _qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """The QR (segno encodes it, error correction M) drawn as one path of dark runs per row: reportlab's own QR
    widget encoded it twice and drew each module as a node, nine tenths of a receipt's render time."""
    matrix = segno.make_qr(payload, error="m").matrix
    module = size / len(matrix)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            path.rect(x + start * module, y + size - (r + 1) * module, (c - start) * module, module)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)


def _grid(canvas: Canvas, top: float, columns: list[tuple[str, float]], rows: list[list[str]],
          numeric: set[int], row_h: float = 7 * mm, colour=colors.black) -> float:
    """A ruled table from `top` down; returns the y of its bottom edge."""
    width = PAGE[0] - 2 * MARGIN
    xs = [MARGIN]
    for _, share in columns:
        xs.append(xs[-1] + width * share)
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(0.6)
    y = top
    for n, cells in enumerate([[name for name, _ in columns]] + rows):
        canvas.rect(MARGIN, y - row_h, width, row_h)
        for i, cell in enumerate(cells):
            if i in numeric and n > 0:
                _text(canvas, xs[i + 1] - 2 * mm, y - row_h + 2.3 * mm, cell, 8.5, right=True, colour=colour)
            else:
                _text(canvas, (xs[i] + xs[i + 1]) / 2, y - row_h + 2.3 * mm, cell, 8.5, centre=True, colour=colour)
        y -= row_h
    for x in xs[1:-1]:
        canvas.line(x, top, x, y)
    return y


def render_fiscal_receipt(doc: FiscalReceipt) -> bytes:
    """财政电子票据 (or its 红冲 reversal: negative amounts, the reversed receipt named, drawn in red)."""
    out = io.BytesIO()
    reversal = doc.reverses is not None
    colour = RED if reversal else colors.black
    canvas = _canvas(out, f"{doc.title} {doc.code}-{doc.number}", "红冲" if reversal else "缴款收据")
    width, height = PAGE
    title = doc.title + ("（红字）" if reversal else "")
    _text(canvas, width / 2, height - 14 * mm, title, 15, centre=True, colour=colour)
    _qr(canvas, doc.verify_url, MARGIN, height - 34 * mm, 24 * mm)
    issued = doc.issued_at.astimezone(SHANGHAI)
    right = width - MARGIN
    for n, (label, value) in enumerate((("票据代码", doc.code), ("票据号码", doc.number), ("校验码", doc.check_code),
                                        ("开票日期", f"{issued:%Y年%m月%d日}"))):
        _text(canvas, right, height - (22 + 5 * n) * mm, f"{label}：{value}", 9, right=True)
    _text(canvas, MARGIN + 28 * mm, height - 30 * mm, f"交款人：{doc.payer}", 10)
    _text(canvas, MARGIN + 28 * mm, height - 36 * mm, f"交款人统一社会信用代码/户号：{doc.payer_id}", 9)
    rows = [[line.name, line.period, line.account, line.unit, yuan(line.amount_fen), line.note]
            for line in doc.lines]
    bottom = _grid(canvas, height - 42 * mm, [("项目名称", 0.24), ("所属期", 0.12), ("户号", 0.14), ("单位", 0.1),
                                               ("金额（元）", 0.16), ("备注", 0.24)], rows, {4}, colour=colour)
    total = doc.total_fen
    _text(canvas, MARGIN, bottom - 6 * mm, f"金额合计（大写）：{capitals(total)}", 10, colour=colour)
    _text(canvas, right, bottom - 6 * mm, f"（小写）{_figures(total)}", 10, right=True, colour=colour)
    remarks = doc.remarks + (f"　冲红原票据：{doc.reverses}" if reversal else "")
    _text(canvas, MARGIN, bottom - 13 * mm, f"备注：{remarks.strip()}", 9)
    _text(canvas, MARGIN, 10 * mm, f"收款单位（章）：{doc.payee}", 9)
    _text(canvas, right, 10 * mm, f"复核人/收款人：{doc.cashier}", 9, right=True)
    _text(canvas, MARGIN, 5 * mm, f"查验：{doc.verify_url}", 6)  # the QR's payload, for those who cannot scan
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def render_vat_invoice(doc: VatInvoice) -> bytes:
    """数电票 (电子发票（普通发票）): the alternative receipt kind for a contractor's 清洁卫生费."""
    out = io.BytesIO()
    reversal = doc.reverses is not None
    canvas = _canvas(out, f"电子发票 {doc.number}", "红字发票" if reversal else "普通发票")
    width, height = PAGE
    right = width - MARGIN
    _text(canvas, width / 2, height - 14 * mm, "电子发票（普通发票）" + ("（红字）" if reversal else ""), 15,
          centre=True, colour=RED if reversal else colors.black)
    _qr(canvas, doc.verify_url, MARGIN, height - 34 * mm, 24 * mm)
    issued = doc.issued_at.astimezone(SHANGHAI)
    _text(canvas, right, height - 22 * mm, f"发票号码：{doc.number}", 9, right=True)
    _text(canvas, right, height - 27 * mm, f"开票日期：{issued:%Y年%m月%d日}", 9, right=True)
    for n, (role, name, tax_id) in enumerate((("购买方", doc.buyer, doc.buyer_tax_id),
                                               ("销售方", doc.seller, doc.seller_tax_id))):
        _text(canvas, MARGIN + 28 * mm, height - (28 + 6 * n) * mm,
              f"{role}：{name}　统一社会信用代码/纳税人识别号：{tax_id}", 8.5)
    rows = [[line.name, line.unit, line.quantity, yuan(line.amount_fen), f"{line.tax_rate_pct}%", yuan(line.tax_fen)]
            for line in doc.lines]
    rows.append(["合计", "", "", _figures(doc.amount_fen), "", _figures(doc.tax_fen)])
    bottom = _grid(canvas, height - 42 * mm, [("项目名称", 0.3), ("单位", 0.1), ("数量", 0.1), ("金额", 0.18),
                                               ("税率/征收率", 0.14), ("税额", 0.18)], rows, {3, 5})
    _text(canvas, MARGIN, bottom - 6 * mm, f"价税合计（大写）：{capitals(doc.total_fen)}", 10)
    _text(canvas, right, bottom - 6 * mm, f"（小写）{_figures(doc.total_fen)}", 10, right=True)
    remarks = doc.remarks + (f"　被红冲蓝字发票号码：{doc.reverses}" if reversal else "")
    _text(canvas, MARGIN, bottom - 13 * mm, f"备注：{remarks.strip()}", 9)
    _text(canvas, right, 10 * mm, f"开票人：{doc.issuer}", 9, right=True)
    _text(canvas, MARGIN, 5 * mm, f"查验：{doc.verify_url}", 6)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
