"""Tables as the offices exchange them: CSV (UTF-8 with a BOM, as Excel opens it) and Excel workbooks (openpyxl),
with Chinese headers, stored codes written as words, amounts in yuan written from fen exactly (Decimal, never a
float), periods as YYYY-MM and times in Beijing time. In a workbook amounts are numbers shown with two decimals,
rates are numbers shown as percentages, and a totals row (合计) sums the amounts and counts and recomputes each rate
from the summed numerator and denominator. Headers, sheet names and words are `Label`s — the offices' Chinese and its
English, side by side — written in the request's language (English with Accept-Language: en;
docs/architecture.md "Languages").
Core: imports no domain (the billing desk and the gas statistics use it)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from api.i18n import current_locale
from api.timefmt import SHANGHAI, today

# Werkzeug adds "; charset=utf-8" to text/* itself: naming it here too wrote it twice into the Content-Type
MEDIA = {"csv": "text/csv",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MONEY_FORMAT, RATE_FORMAT = "#,##0.00", "0.00%"


@dataclass(frozen=True)
class Label:
    """Words an export writes — a header, a sheet's name, a stored code as words: the offices' Chinese (the source
    text, as they name things) and its English. str() gives the current locale's."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if current_locale() == "en" else self.zh


def text(value):
    """A Label in the current locale; anything else as it is."""
    return str(value) if isinstance(value, Label) else value


TOTAL_TITLE = Label("合计", "Total")


@dataclass(frozen=True)
class Column:
    key: str
    title: Label | str  # the header the offices read (a Label: in English on request)
    money: bool = False  # a fen amount: written as yuan (summed in a workbook's totals row)
    labels: dict | None = None  # stored codes → the words written in the export (Labels)
    total: bool = False  # a count: summed in a workbook's totals row
    ratio: tuple[str, str] | None = None  # a rate: (numerator key, denominator key) of the row


def _fraction(part, whole) -> Decimal | None:
    return None if not whole else Decimal(part or 0) / Decimal(whole)


def _cell(column: Column, row: dict):
    if column.ratio is not None:
        return percent(row.get(column.ratio[0]) or 0, row.get(column.ratio[1]) or 0)
    value = row.get(column.key)
    if value is None:
        return ""
    if column.money:
        return Decimal(value) / 100  # exact: 1234 fen → Decimal("12.34")
    if isinstance(value, date) and column.key == "period":
        return value.strftime("%Y-%m")
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return text(column.labels.get(value, value)) if column.labels else value


def to_csv(columns: tuple[Column, ...], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([text(c.title) for c in columns])
    for row in rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in (_cell(c, row) for c in columns)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_cell(column: Column, row: dict):
    """What a workbook cell holds: a rate as a number (0.875, shown 87.50%), "—" when it has no denominator."""
    if column.ratio is None:
        return _cell(column, row)
    value = _fraction(row.get(column.ratio[0]), row.get(column.ratio[1]))
    return "—" if value is None else value


def _totals(columns: tuple[Column, ...], rows: list[dict]) -> list:
    """The totals row: amounts and counts summed, each rate recomputed from its summed parts, never summed."""
    def summed(key: str) -> int:
        return sum(int(row.get(key) or 0) for row in rows)

    out: list = []
    for column in columns:
        if column.ratio is not None:
            value = _fraction(summed(column.ratio[0]), summed(column.ratio[1]))
            out.append("—" if value is None else value)
        elif column.money:
            out.append(Decimal(summed(column.key)) / 100)
        elif column.total:
            out.append(summed(column.key))
        else:
            out.append(None)
    out[0] = text(TOTAL_TITLE) if out[0] is None else out[0]
    return out


def to_xlsx(title: Label | str, columns: tuple[Column, ...], rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = text(title)[:31]
    sheet.append([text(c.title) for c in columns])
    for row in rows:
        sheet.append([_sheet_cell(c, row) for c in columns])
    sheet.append(_totals(columns, rows))
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, _width(text(column.title)) + 2)
        number_format = MONEY_FORMAT if column.money else RATE_FORMAT if column.ratio else None
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(title: str) -> int:
    return sum(2 if ord(char) > 0x2E7F else 1 for char in title)  # CJK (and full-width) characters take two


def percent(part: int, whole: int) -> str:
    """`part` / `whole` as a percentage with two decimals, exactly (87.50%); "—" when `whole` is nothing."""
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.01'))}%"


def answer(fmt: str, name: str, title: Label | str, columns: tuple[Column, ...], rows: list[dict]):
    """A report's answer: its rows for `json` (the endpoint's schema dumps them), else a CSV or Excel download named
    `<name>-<Beijing date>.<fmt>`, in the request's language (the sheet's name `title`)."""
    if fmt == "json":
        return rows
    data = to_csv(columns, rows) if fmt == "csv" else to_xlsx(title, columns, rows)
    return Response(data, 200, mimetype=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}-{today():%Y%m%d}.{fmt}"'})
