"""Tables as the offices exchange them: CSV (UTF-8 with a BOM, as Excel opens it) and Excel workbooks (openpyxl),
with Chinese headers, stored codes written as words, amounts in yuan written from fen exactly (Decimal, never a
float), periods as YYYY-MM and times in Beijing time. Core: imports no domain (the billing desk and the gas
statistics use it)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from api.timefmt import SHANGHAI, today

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # the header the offices read
    money: bool = False  # a fen amount: written as yuan
    labels: dict | None = None  # stored codes → the words written in the export


def _cell(column: Column, row: dict):
    value = row.get(column.key)
    if value is None:
        return ""
    if column.money:
        return Decimal(value) / 100  # exact: 1234 fen → Decimal("12.34")
    if isinstance(value, date) and column.key == "period":
        return value.strftime("%Y-%m")
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return column.labels.get(value, value) if column.labels else value


def to_csv(columns: tuple[Column, ...], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in (_cell(c, row) for c in columns)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, columns: tuple[Column, ...], rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c.title for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(c, row) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, len(column.title) * 2 + 2)
        if column.money:
            for cell in sheet[letter][1:]:
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def percent(part: int, whole: int) -> str:
    """`part` / `whole` as a percentage with two decimals, exactly (87.50%); "—" when `whole` is nothing."""
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.01'))}%"


def answer(fmt: str, name: str, title: str, columns: tuple[Column, ...], rows: list[dict]):
    """A report's answer: its rows for `json` (the endpoint's schema dumps them), else a CSV or Excel download named
    `<name>-<Beijing date>.<fmt>`."""
    if fmt == "json":
        return rows
    data = to_csv(columns, rows) if fmt == "csv" else to_xlsx(title, columns, rows)
    return Response(data, 200, mimetype=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}-{today():%Y%m%d}.{fmt}"'})
