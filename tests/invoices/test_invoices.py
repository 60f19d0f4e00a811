"""invoices/: amounts in capitals against hand-written cases, and byte-stable receipts pinned per font (golden
files: the text pypdf extracts and the SHA-256 of the bytes, one pair per font)."""

import dataclasses
import hashlib
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from invoices import fonts
from invoices.documents import FiscalReceipt, InvoiceLine, ReceiptLine, VatInvoice
from invoices.money import capitals, yuan
from invoices.render import render_fiscal_receipt, render_vat_invoice
from tests.support import qr_text

GOLDEN = Path(__file__).parent / "golden"
RECEIPT = FiscalReceipt(
    code="44010126", number="0000012345", check_code="a1B2c3", payer="张三", payer_id="D0001",
    payee="广州市白云区城市管理和综合执法局",
    lines=(ReceiptLine("生活垃圾处理费", "2026-11", "D0001", 500),
           ReceiptLine("生活垃圾处理费", "2026-12", "D0001", 333, note="低保减免")),
    issued_at=datetime(2026, 12, 1, 4, 0, tzinfo=UTC), cashier="穗云智慧城管",
    verify_url="https://suiyun.example/receipts/verify?p=eyJuIjoiMDAwMDAxMjM0NSJ9.sig")
REVERSAL = dataclasses.replace(RECEIPT, number="0000012346", reverses="44010126-0000012345",
                               lines=tuple(dataclasses.replace(line, amount_fen=-line.amount_fen)
                                           for line in RECEIPT.lines))
INVOICE = VatInvoice(number="26442000000012345678", issued_at=RECEIPT.issued_at, buyer="王五商行",
                     buyer_tax_id="92440111MA5X00000A", seller="广州某环卫服务有限公司",
                     seller_tax_id="91440111MA5Y00000B",
                     lines=(InvoiceLine("*生活服务*清洁卫生费", "1", "户·月", 566, 6, 34),), issuer="穗云",
                     verify_url="https://suiyun.example/invoices/verify?p=x")


@pytest.mark.parametrize("fen, written", [
    (1234, "壹拾贰元叁角肆分"),
    (1050, "壹拾元伍角整"),  # stops at 角: 整
    (10000, "壹佰元整"),
    (5, "伍分"),
    (10005, "壹佰元零伍分"),
    (2000100, "贰万零壹元整"),
    (100000010, "壹佰万元壹角整"),
    (0, "零元整"),
    (-500, "负伍元整"),
])
def test_amounts_in_capitals(fen, written):
    assert capitals(fen) == written


def test_figures_from_fen():
    assert [yuan(f) for f in (0, 5, 50, 1234, -50)] == ["0.00", "0.05", "0.50", "12.34", "-0.50"]


def _golden(name: str, pdf: bytes, font: str) -> None:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text_file, hash_file = GOLDEN / f"{name}.{font}.txt", GOLDEN / f"{name}.{font}.sha256"
    if os.environ.get("UPDATE_GOLDEN") == "1":  # after a deliberate layout change: rewrite, then review the diff
        text_file.write_text(text, encoding="utf-8")
        hash_file.write_text(hashlib.sha256(pdf).hexdigest() + "\n")
    assert text_file.exists(), f"no golden file for {name} with {font}: run with UPDATE_GOLDEN=1 and review it"
    assert text == text_file.read_text(encoding="utf-8")
    assert hashlib.sha256(pdf).hexdigest() == hash_file.read_text().strip()


FONTS = [fonts.CID_NAME, pytest.param(fonts.TTF_NAME, marks=pytest.mark.skipif(
    fonts.font_file() is None, reason="fonts-wqy-zenhei is not installed (make test and make run install it)"))]


@pytest.mark.parametrize("font", FONTS)
def test_a_fiscal_receipt_is_byte_stable_and_says_what_it_must(font):
    fonts.use(font)
    pdf = render_fiscal_receipt(RECEIPT)
    assert pdf == render_fiscal_receipt(RECEIPT)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for fact in ("张三", "票据代码：44010126", "票据号码：0000012345", "校验码：a1B2c3", "生活垃圾处理费",
                 "2026-11", "5.00", "3.33", "捌元叁角叁分", "¥8.33", "开票日期：2026年12月01日",
                 "广州市白云区城市管理和综合执法局"):
        assert fact in text, fact
    assert qr_text(pdf) == RECEIPT.verify_url  # the code drawn as one path of runs decodes to the link
    _golden("fiscal_receipt", pdf, font)


@pytest.mark.parametrize("font", FONTS)
def test_a_reversal_names_the_receipt_it_reverses_with_negative_amounts(font):
    fonts.use(font)
    pdf = render_fiscal_receipt(REVERSAL)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "（红字）" in text and "冲红原票据：44010126-0000012345" in text
    assert "负捌元叁角叁分" in text and "-¥8.33" in text
    assert qr_text(pdf) == REVERSAL.verify_url
    _golden("fiscal_reversal", pdf, font)


@pytest.mark.parametrize("font", FONTS)
def test_the_vat_invoice_layout(font):
    fonts.use(font)
    pdf = render_vat_invoice(INVOICE)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "发票号码：26442000000012345678" in text and "陆元整" in text and "¥6.00" in text and "6%" in text
    assert qr_text(pdf) == INVOICE.verify_url
    _golden("vat_invoice", pdf, font)


def test_the_font_embedded_is_the_one_named():
    fonts.use(fonts.CID_NAME)
    assert b"WenQuanYi" not in render_fiscal_receipt(RECEIPT)
    if fonts.font_file() is not None:
        fonts.use(fonts.TTF_NAME)
        assert b"FontFile2" in render_fiscal_receipt(RECEIPT)  # the TrueType subset travels with the PDF
