"""The documents, as frozen data. Money is integer fen; times are timezone-aware (shown in Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReceiptLine:
    name: str  # 项目名称, e.g. 生活垃圾处理费
    period: str  # 所属期 YYYY-MM
    account: str  # 户号
    amount_fen: int
    unit: str = "户·月"
    note: str = ""


@dataclass(frozen=True)
class FiscalReceipt:
    """财政电子票据 (non-tax revenue): 票据代码 8 digits, 票据号码 10 digits, 校验码 6 characters. A reversal (红冲)
    carries negative amounts and names the receipt it reverses."""

    code: str
    number: str
    check_code: str
    payer: str  # 交款人
    payer_id: str  # 交款人统一社会信用代码 / 户号
    payee: str  # 收款单位
    lines: tuple[ReceiptLine, ...]
    issued_at: datetime  # 开票日期
    cashier: str  # 收款人 / 复核人
    verify_url: str  # what the QR opens (the public verification endpoint, with its signed payload)
    title: str = "广东省非税收入统一票据（电子）"
    reverses: str | None = None  # 原票据代码-号码, for a 红冲
    remarks: str = ""

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


@dataclass(frozen=True)
class InvoiceLine:
    name: str  # 项目名称, e.g. *生活服务*清洁卫生费
    quantity: str
    unit: str
    amount_fen: int  # excluding tax
    tax_rate_pct: int
    tax_fen: int


@dataclass(frozen=True)
class VatInvoice:
    """全面数字化的电子发票（普通发票）: a 20-digit number, buyer and seller, lines with tax."""

    number: str
    issued_at: datetime
    buyer: str
    buyer_tax_id: str
    seller: str
    seller_tax_id: str
    lines: tuple[InvoiceLine, ...]
    issuer: str  # 开票人
    verify_url: str
    remarks: str = ""
    reverses: str | None = None

    @property
    def amount_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def tax_fen(self) -> int:
        return sum(line.tax_fen for line in self.lines)

    @property
    def total_fen(self) -> int:
        return self.amount_fen + self.tax_fen


@dataclass(frozen=True)
class CheckedItem:
    title: str
    result: str  # 合格 / 不合格 / 不适用
    note: str = ""


@dataclass(frozen=True)
class HazardLine:
    level: str  # 一级 / 二级 / 三级
    title: str
    deadline: str  # YYYY-MM-DD


@dataclass(frozen=True)
class VisitRecord:
    """入户安检记录: what was checked at one gas user on one visit, and the resident's signature (an image)."""

    number: str
    gas_user: str  # 燃气户号
    address: str
    user_kind: str  # 居民 / 非居民 / 餐饮, 管道燃气 / 瓶装液化气
    inspector: str
    employer: str
    started_at: datetime
    finished_at: datetime
    outcome: str  # 合格 / 发现隐患 / 拒绝入户 / 到访不遇
    items: tuple[CheckedItem, ...]
    hazards: tuple[HazardLine, ...]
    verify_url: str  # the inspector's badge check
    signature: bytes | None = None  # PNG or JPEG of the resident's signature
    note: str = ""
    measures: str = ""  # the inspector's on-site measures, e.g. 关阀、通风


@dataclass(frozen=True)
class RectificationNotice:
    """燃气安全隐患整改通知书: one hazard, its level and the date by which it must be put right."""

    number: str
    gas_user: str
    address: str
    contact: str
    hazard: HazardLine
    requirement: str
    found_at: datetime
    inspector: str
    employer: str
    case_number: str
    verify_url: str
