"""api/exports.py alone: workbooks whose amounts and rates are numbers and whose totals row recomputes each rate
from its summed parts (the gas statistics' columns, the billing desk's), and CSV that keeps the rates' text."""

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from api import exports
from api.exports import Column
from api.gas.statistics import coverage_columns, hazard_columns


def _coverage(street: str, due: int, inspected: int, refused: int, no_show: int) -> dict:
    return {"street_name": street, "due": due, "inspected": inspected, "refused": refused, "no_show": no_show,
            "taken_over": 0, "coverage": exports.percent(inspected, due),
            "refusal_rate": exports.percent(refused, due), "no_show_rate": exports.percent(no_show, due)}


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_gas_coverage_rates_are_numbers_and_the_totals_row_recomputes_them():
    rows = [_coverage("三元里街道", 3, 1, 1, 1), _coverage("松洲街道", 1, 1, 0, 0), _coverage("京溪街道", 0, 0, 0, 0)]
    sheet = _sheet(exports.to_xlsx("安检覆盖率", coverage_columns("street"), rows))
    header = [c.value for c in sheet[1]]
    col = {title: n + 1 for n, title in enumerate(header)}
    assert sheet.cell(row=2, column=col["覆盖率"]).value == pytest.approx(1 / 3)
    assert sheet.cell(row=2, column=col["覆盖率"]).number_format == "0.00%"
    assert sheet.cell(row=3, column=col["覆盖率"]).value == 1
    assert sheet.cell(row=4, column=col["覆盖率"]).value == "—"  # nothing due: no rate
    totals = {title: sheet.cell(row=5, column=n).value for title, n in col.items()}
    assert sheet.max_row == 5 and totals["街道/镇"] == "合计"
    assert (totals["应检户数"], totals["已检户数"], totals["拒检户数"], totals["到访不遇户数"]) == (4, 2, 1, 1)
    assert totals["覆盖率"] == 0.5  # 2 / 4 — not the mean of 33.33 %, 100 % (66.67 %)
    assert totals["拒检率"] == 0.25 and totals["到访不遇率"] == 0.25
    assert sheet.cell(row=5, column=col["覆盖率"]).number_format == "0.00%"


def test_gas_hazard_totals_recompute_the_rectification_rate_and_leave_the_mean_days_alone():
    rows = [{"street_code": "440111002000", "found": 4, "rectified": 1, "rectification_rate": "25.00%",
             "mean_days_to_rectify": 3.0},
            {"street_code": "440111010000", "found": 1, "rectified": 1, "rectification_rate": "100.00%",
             "mean_days_to_rectify": 1.0}]
    sheet = _sheet(exports.to_xlsx("隐患统计", hazard_columns("street"), rows))
    assert [c.value for c in sheet[2]] == ["440111002000", 4, 1, 0.25, 3]
    assert [c.value for c in sheet[4]] == ["合计", 5, 2, 0.4, None]


def test_money_is_exact_yuan_with_two_decimals_and_summed():
    columns = (Column("name", "名称"), Column("fen", "金额（元）", True), Column("n", "笔数", total=True),
               Column("rate", "比例", ratio=("part", "whole")))
    rows = [{"name": "甲", "fen": 1, "n": 1, "part": 1, "whole": 3}, {"name": "乙", "fen": 123456, "n": 2,
                                                                       "part": 2, "whole": 3}]
    sheet = _sheet(exports.to_xlsx("测试", columns, rows))
    assert [c.value for c in sheet[2]][:3] == ["甲", 0.01, 1] and sheet.cell(row=2, column=2).number_format == \
        exports.MONEY_FORMAT
    assert [c.value for c in sheet[4]] == ["合计", 1234.57, 3, 0.5]
    assert exports._totals(columns, rows)[1] == Decimal("1234.57")  # exact before it is written
    table = list(csv.reader(io.StringIO(exports.to_csv(columns, rows).decode("utf-8-sig"))))
    assert table == [["名称", "金额（元）", "笔数", "比例"], ["甲", "0.01", "1", "33.33%"],
                     ["乙", "1234.56", "2", "66.67%"]]


def test_the_csv_answer_names_its_charset_once():
    from flask import Flask

    with Flask(__name__).test_request_context():
        answer = exports.answer("csv", "x", "x", (Column("a", "甲"),), [{"a": 1}])
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.data == "\ufeff甲\r\n1\r\n".encode()


COLUMNS = (Column("kind", exports.Label("类型", "Type"), labels={"refund": exports.Label("退款", "Refund")}),
           Column("fen", exports.Label("金额（元）", "Amount (yuan)"), True))
ROWS = [{"kind": "refund", "fen": -200}, {"kind": "other", "fen": 500}]


@pytest.mark.parametrize("header, words", [
    (None, (["类型", "金额（元）"], "退款", "合计", "减免审批")),
    ("zh-CN,zh;q=0.9", (["类型", "金额（元）"], "退款", "合计", "减免审批")),
    ("en-US,en;q=0.9", (["Type", "Amount (yuan)"], "Refund", "Total", "Exemptions")),
])
def test_headers_words_and_sheet_names_follow_the_requests_language(header, words):
    from flask import Flask

    head, refund, total, sheet_name = words
    with Flask(__name__).test_request_context(headers={"Accept-Language": header} if header else {}):
        table = list(csv.reader(io.StringIO(exports.to_csv(COLUMNS, ROWS).decode("utf-8-sig"))))
        book = _sheet(exports.to_xlsx(exports.Label("减免审批", "Exemptions"), COLUMNS, ROWS))
    assert table == [head, [refund, "-2.00"], ["other", "5.00"]]  # a code without words stays as it is
    assert book.title == sheet_name and [c.value for c in book[1]] == head
    assert [[c.value for c in row] for row in book.iter_rows(min_row=2)] == [[refund, -2], ["other", 5],
                                                                             [total, 3]]


def _every_export() -> dict[str, tuple]:
    from api.fees.figures import service as reports
    from api.gas import statistics

    found = {name: value for name, value in vars(reports).items() if name.endswith("_COLUMNS")}
    for group in statistics.GROUPS:
        found[f"gas coverage by {group}"] = statistics.coverage_columns(group)
    for group in (*statistics.GROUPS, "item"):
        found[f"gas hazards by {group}"] = statistics.hazard_columns(group)
    return found


def test_every_export_header_and_word_is_written_in_chinese_and_in_english():
    """A header or a stored code's words added as a bare string would stay Chinese in an English export."""
    from api.fees.figures import service as reports
    from api.gas import statistics

    cjk = re.compile(r"[\u3400-\u9fff]")
    exported = _every_export()
    assert len(exported) >= 12
    labels = [(f"{name}: {column.key}", column.title) for name, columns in exported.items() for column in columns]
    labels += [(f"{name}: {column.key} = {code}", words) for name, columns in exported.items() for column in columns
               for code, words in (column.labels or {}).items()]
    labels += [(name, value) for module in (reports, statistics) for name, value in vars(module).items()
               if name.endswith("_SHEET")]
    bare = [where for where, label in labels if not isinstance(label, exports.Label)]
    assert bare == []
    wrong = [where for where, label in labels if not cjk.search(label.zh) or cjk.search(label.en) or not label.en]
    assert wrong == []
