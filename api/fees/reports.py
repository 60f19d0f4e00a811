"""The billing desk's reports — arrears with ageing, the collection rate, the payments and refunds ledger,
reconciliation mismatches, exemption decisions — and the columns of their exports (written by api/exports.py:
CSV and Excel, Chinese headers, amounts in yuan from fen exactly).

Ageing counts days past the due date in buckets (未到期, 1–30, 31–90, 91–180, 180 天以上) with date comparisons
only, so the same SQL runs on PostgreSQL and on the embedded SQLite.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from api import exports
from api.db import Session
from api.exports import Column
from api.fees import rollup
from api.fees.models import (
    Bill,
    Exemption,
    FeeAccount,
    LedgerEntry,
    OrderItem,
    PayOrder,
    ReconMismatch,
    ReconRun,
    Refund,
)
from api.fees.reconcile import day_bounds
from api.identity.models import User
from api.organisation.models import Division
from api.premises.models import Premises

OPEN = ("unpaid", "partly_paid")
BUCKETS = (("not_due", "未到期"), ("d1_30", "逾期1-30天"), ("d31_90", "逾期31-90天"), ("d91_180", "逾期91-180天"),
           ("d181", "逾期180天以上"))


def _scope(query, user: User):
    return query if user.scope_division_code is None else query.where(Bill.street_code == user.scope_division_code)


def arrears(user: User, *, group_by: str, period_from: date, period_to: date, today: date,
            use_rollup: bool | None = None) -> list[dict]:
    """Outstanding amounts by street (or community) × period, split by how long past due.

    By street the groups come from the arrears rollup where one is kept (PostgreSQL; exact, see rollup.py) —
    a district-wide report over millions of bills reads a few hundred rows; by community, or without a rollup,
    from the bills. `use_rollup` forces one source (the tests compare them)."""
    if use_rollup is None:
        use_rollup = group_by == "street" and rollup.in_use()
    if use_rollup:
        source = rollup.groups()
    else:
        keys = [Bill.street_code, Bill.period, Bill.due_date]
        if group_by == "community":
            keys.append(Premises.community)
        query = _scope(sa.select(*keys, sa.func.count().label("bills"),
                                 sa.func.sum(Bill.amount_fen - Bill.paid_fen).label("outstanding_fen"))
                       .where(Bill.status.in_(OPEN), Bill.period >= period_from, Bill.period <= period_to), user)
        if group_by == "community":
            query = (query.join(FeeAccount, FeeAccount.id == Bill.account_id)
                     .join(Premises, Premises.id == FeeAccount.premises_id))
        source = query.group_by(*keys).subquery()
    due, owed = source.c.due_date, source.c.outstanding_fen
    buckets = {
        "not_due": due >= today,
        "d1_30": sa.and_(due < today, due >= today - timedelta(days=30)),
        "d31_90": sa.and_(due < today - timedelta(days=30), due >= today - timedelta(days=90)),
        "d91_180": sa.and_(due < today - timedelta(days=90), due >= today - timedelta(days=180)),
        "d181": due < today - timedelta(days=180),
    }
    keys = [source.c.street_code, Division.name.label("street_name")]
    if group_by == "community":
        keys.append(source.c.community)
    query = (sa.select(*keys, source.c.period, sa.func.sum(source.c.bills).label("bills"),
                       sa.func.sum(owed).label("outstanding_fen"),
                       *[sa.func.sum(sa.case((condition, owed), else_=0)).label(name)
                         for name, condition in buckets.items()])
             .join(Division, Division.code == source.c.street_code)
             .where(source.c.period >= period_from, source.c.period <= period_to))
    if user.scope_division_code is not None:
        query = query.where(source.c.street_code == user.scope_division_code)
    query = query.group_by(*keys, source.c.period).order_by(source.c.street_code, *keys[2:], source.c.period)
    return [_ints(row._asdict()) for row in Session.execute(query)]


def collection(user: User, *, period_from: date, period_to: date) -> list[dict]:
    """应收 (due), 实收 (paid, net of refunds) and the rate per street × period; exempted amounts apart.

    An overcharge or exemption refund lowers 应收 and 实收 alike (the bill stays settled; `adjusted_fen` shows what
    such refunds took off, an exemption's share is in `exempted_fen` too); a cancel lowers 实收 only."""
    query = (sa.select(Bill.street_code, Division.name.label("street_name"), Bill.period,
                       sa.func.count().label("bills"), sa.func.sum(Bill.amount_fen).label("due_fen"),
                       sa.func.sum(Bill.paid_fen).label("paid_fen"),
                       sa.func.sum(Bill.exempted_fen).label("exempted_fen"),
                       sa.func.sum(Bill.adjusted_fen).label("adjusted_fen"))
             .join(Division, Division.code == Bill.street_code)
             .where(Bill.period >= period_from, Bill.period <= period_to))
    query = _scope(query, user).group_by(Bill.street_code, Division.name, Bill.period).order_by(Bill.street_code,
                                                                                               Bill.period)
    rows = []
    for row in Session.execute(query):
        item = _ints(row._asdict())
        item["rate"] = exports.percent(item["paid_fen"], item["due_fen"])
        rows.append(item)
    return rows


def ledger(user: User, *, day_from: date, day_to: date, limit: int = 5000) -> list[dict]:
    """Money in and out between two days (Beijing time), oldest first; street staff see the movements of orders
    that paid a bill of their street."""
    start, end = day_bounds(day_from)[0], day_bounds(day_to)[1]
    query = (sa.select(LedgerEntry.occurred_at, LedgerEntry.kind, LedgerEntry.amount_fen, PayOrder.out_trade_no,
                       PayOrder.transaction_id, Refund.out_refund_no, Refund.kind.label("refund_kind"), Refund.reason)
             .join(PayOrder, PayOrder.id == LedgerEntry.order_id)
             .outerjoin(Refund, Refund.id == LedgerEntry.refund_id)
             .where(LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end))
    if user.scope_division_code is not None:
        query = query.where(sa.exists(sa.select(OrderItem.bill_id).join(Bill, Bill.id == OrderItem.bill_id).where(
            OrderItem.order_id == PayOrder.id, Bill.street_code == user.scope_division_code)))
    return [row._asdict() for row in Session.execute(query.order_by(LedgerEntry.occurred_at, LedgerEntry.id)
                                                      .limit(limit))]


def mismatches(*, day_from: date, day_to: date, state: str | None = None, limit: int = 5000) -> list[dict]:
    """Every reconciliation mismatch of the days between two dates with its state, who set it and the note
    (the merchant's account is the district's: not split by street)."""
    query = (sa.select(ReconRun.bill_date, ReconMismatch.id, ReconMismatch.key, ReconMismatch.kind,
                       ReconMismatch.ours_fen, ReconMismatch.theirs_fen, ReconMismatch.our_status,
                       ReconMismatch.their_status, ReconMismatch.state, ReconMismatch.note,
                       User.username.label("updated_by"), ReconMismatch.updated_at)
             .join(ReconRun, ReconRun.id == ReconMismatch.run_id)
             .outerjoin(User, User.id == ReconMismatch.updated_by)
             .where(ReconRun.bill_date >= day_from, ReconRun.bill_date <= day_to))
    if state:
        query = query.where(ReconMismatch.state == state)
    return [row._asdict() for row in Session.execute(query.order_by(ReconRun.bill_date, ReconMismatch.id)
                                                      .limit(limit))]


def exemption_rows(user: User, *, status: str | None = None, kind: str | None = None,
                   limit: int = 5000) -> list[dict]:
    """Exemption requests and decisions with the account, the payer and who asked and decided (newest first),
    in the caller's street."""
    asked, decided = aliased(User), aliased(User)
    query = (sa.select(Exemption.id, FeeAccount.number.label("account_number"), FeeAccount.payer_name,
                       Division.name.label("street_name"), Exemption.kind, Exemption.reduction_pct,
                       Exemption.evidence, Exemption.valid_from, Exemption.valid_to, Exemption.status,
                       asked.username.label("requested_by"), Exemption.requested_at,
                       decided.username.label("decided_by"), Exemption.decided_at, Exemption.decision_reason)
             .join(FeeAccount, FeeAccount.id == Exemption.account_id)
             .join(Division, Division.code == FeeAccount.street_code)
             .join(asked, asked.id == Exemption.requested_by)
             .outerjoin(decided, decided.id == Exemption.decided_by))
    if user.scope_division_code is not None:
        query = query.where(FeeAccount.street_code == user.scope_division_code)
    if status:
        query = query.where(Exemption.status == status)
    if kind:
        query = query.where(Exemption.kind == kind)
    return [row._asdict() for row in Session.execute(query.order_by(Exemption.id.desc()).limit(limit))]


def _ints(row: dict) -> dict:
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in row.items()}


# -- exports ----------------------------------------------------------------------------------------------------
ARREARS_COLUMNS = (Column("street_name", "街道/镇"), Column("community", "社区"), Column("period", "所属期"),
                   Column("bills", "欠费户数", total=True), Column("outstanding_fen", "欠费金额（元）", True),
                   *(Column(key, f"{title}（元）", True) for key, title in BUCKETS))
COLLECTION_COLUMNS = (Column("street_name", "街道/镇"), Column("period", "所属期"),
                      Column("bills", "账单数", total=True),
                      Column("due_fen", "应收（元）", True), Column("paid_fen", "实收（元）", True),
                      Column("rate", "收缴率", ratio=("paid_fen", "due_fen")),
                      Column("exempted_fen", "减免（元）", True),
                      Column("adjusted_fen", "退费调减（元）", True))
KIND_TITLES = {"payment": "收款", "refund": "退款"}
REFUND_KIND_TITLES = {"overcharge": "多收退费", "exemption": "减免退费", "cancel": "撤销缴费"}
MISMATCH_TITLES = {"missing_ours": "我方无记录", "missing_theirs": "微信无记录", "amount_differs": "金额不符",
                   "status_differs": "状态不符"}
STATE_TITLES = {"open": "待处理", "explained": "已说明", "fixed": "已纠正"}
EXEMPTION_TITLES = {"dibao": "低保", "low_income": "低收入困难家庭", "tekun": "特困供养"}
DECISION_TITLES = {"requested": "待审批", "approved": "已批准", "rejected": "已驳回"}
LEDGER_COLUMNS = (Column("occurred_at", "时间"), Column("kind", "类型", labels=KIND_TITLES),
                  Column("amount_fen", "金额（元）", True),
                  Column("out_trade_no", "商户订单号"), Column("transaction_id", "微信支付订单号"),
                  Column("out_refund_no", "退款单号"), Column("refund_kind", "退款类型", labels=REFUND_KIND_TITLES),
                  Column("reason", "退款原因"))
MISMATCH_COLUMNS = (Column("bill_date", "对账日期"), Column("key", "单号"),
                    Column("kind", "差异类型", labels=MISMATCH_TITLES), Column("ours_fen", "我方金额（元）", True),
                    Column("theirs_fen", "微信金额（元）", True), Column("our_status", "我方状态"),
                    Column("their_status", "微信状态"), Column("state", "处理状态", labels=STATE_TITLES),
                    Column("note", "说明"), Column("updated_by", "处理人"), Column("updated_at", "处理时间"))
EXEMPTION_COLUMNS = (Column("account_number", "户号"), Column("payer_name", "缴费人"), Column("street_name", "街道/镇"),
                     Column("kind", "减免类型", labels=EXEMPTION_TITLES), Column("reduction_pct", "减免比例（%）"),
                     Column("evidence", "证明材料"), Column("valid_from", "有效期起"), Column("valid_to", "有效期止"),
                     Column("status", "审批状态", labels=DECISION_TITLES), Column("requested_by", "申请人"),
                     Column("requested_at", "申请时间"), Column("decided_by", "审批人"),
                     Column("decided_at", "审批时间"), Column("decision_reason", "审批意见"))


