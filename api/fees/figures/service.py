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
from api.exports import Column, Label
from api.fees.billing import rollup
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
from api.fees.payments.reconcile import day_bounds
from api.identity.models import User
from api.identity.names import staff_name
from api.organisation.models import Division
from api.premises.models import Premises

OPEN = ("unpaid", "partly_paid")
BUCKETS = (("not_due", "未到期"), ("d1_30", "逾期1-30天"), ("d31_90", "逾期31-90天"), ("d91_180", "逾期91-180天"),
           ("d181", "逾期180天以上"))
BUCKETS_EN = ("Not yet due", "1–30 days overdue", "31–90 days overdue", "91–180 days overdue",
              "Over 180 days overdue")


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
    """Money in and out between two days (Beijing time), oldest first, a refund with who asked for it and who
    decided; street staff see the movements of orders that paid a bill of their street."""
    start, end = day_bounds(day_from)[0], day_bounds(day_to)[1]
    asked, decided = aliased(User), aliased(User)
    query = (sa.select(LedgerEntry.occurred_at, LedgerEntry.kind, LedgerEntry.amount_fen, PayOrder.out_trade_no,
                       PayOrder.transaction_id, Refund.out_refund_no, Refund.kind.label("refund_kind"), Refund.reason,
                       staff_name(asked).label("requested_by_name"), staff_name(decided).label("decided_by_name"))
             .join(PayOrder, PayOrder.id == LedgerEntry.order_id)
             .outerjoin(Refund, Refund.id == LedgerEntry.refund_id)
             .outerjoin(asked, asked.id == Refund.requested_by)
             .outerjoin(decided, decided.id == Refund.approved_by)
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
                       staff_name().label("updated_by"), ReconMismatch.updated_at)
             .join(ReconRun, ReconRun.id == ReconMismatch.run_id)
             .outerjoin(User, User.id == ReconMismatch.updated_by)
             .where(ReconRun.bill_date >= day_from, ReconRun.bill_date <= day_to))
    if state:
        query = query.where(ReconMismatch.state == state)
    return [row._asdict() for row in Session.execute(query.order_by(ReconRun.bill_date, ReconMismatch.id)
                                                      .limit(limit))]


def exemption_rows(user: User, *, status: str | None = None, kind: str | None = None,
                   limit: int = 5000) -> list[dict]:
    """Exemption requests and decisions with the account, the payer and who asked and decided — their logins and
    names — and when (newest first), in the caller's street."""
    asked, decided = aliased(User), aliased(User)
    query = (sa.select(Exemption.id, FeeAccount.number.label("account_number"), FeeAccount.payer_name,
                       Division.name.label("street_name"), Exemption.kind, Exemption.reduction_pct,
                       Exemption.evidence, Exemption.valid_from, Exemption.valid_to, Exemption.status,
                       asked.username.label("requested_by"), staff_name(asked).label("requested_by_name"),
                       Exemption.requested_at, decided.username.label("decided_by"),
                       staff_name(decided).label("decided_by_name"), Exemption.decided_at, Exemption.decision_reason)
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
# Headers and words in the offices' Chinese with their English (exports.Label): English with Accept-Language: en.
STREET, PERIOD = Label("街道/镇", "Street/town"), Label("所属期", "Period")
ARREARS_COLUMNS = (Column("street_name", STREET), Column("community", Label("社区", "Community")),
                   Column("period", PERIOD), Column("bills", Label("欠费户数", "Households in arrears"), total=True),
                   Column("outstanding_fen", Label("欠费金额（元）", "Arrears (yuan)"), True),
                   *(Column(key, Label(f"{title}（元）", f"{title_en} (yuan)"), True)
                     for (key, title), title_en in zip(BUCKETS, BUCKETS_EN, strict=True)))
COLLECTION_COLUMNS = (Column("street_name", STREET), Column("period", PERIOD),
                      Column("bills", Label("账单数", "Bills"), total=True),
                      Column("due_fen", Label("应收（元）", "Due (yuan)"), True),
                      Column("paid_fen", Label("实收（元）", "Collected (yuan)"), True),
                      Column("rate", Label("收缴率", "Collection rate"), ratio=("paid_fen", "due_fen")),
                      Column("exempted_fen", Label("减免（元）", "Exempted (yuan)"), True),
                      Column("adjusted_fen", Label("退费调减（元）", "Lowered by refunds (yuan)"), True))
KIND_TITLES = {"payment": Label("收款", "Payment"), "refund": Label("退款", "Refund")}
REFUND_KIND_TITLES = {"overcharge": Label("多收退费", "Overcharge refund"),
                      "exemption": Label("减免退费", "Exemption refund"),
                      "cancel": Label("撤销缴费", "Payment cancelled")}
MISMATCH_TITLES = {"missing_ours": Label("我方无记录", "Not in our records"),
                   "missing_theirs": Label("微信无记录", "Not in WeChat's bill"),
                   "amount_differs": Label("金额不符", "Amounts differ"),
                   "status_differs": Label("状态不符", "Statuses differ")}
STATE_TITLES = {"open": Label("待处理", "Open"), "explained": Label("已说明", "Explained"),
                "fixed": Label("已纠正", "Fixed")}
EXEMPTION_TITLES = {"dibao": Label("低保", "Minimum living allowance (dibao)"),
                    "low_income": Label("低收入困难家庭", "Low-income household"),
                    "tekun": Label("特困供养", "Extreme poverty support (tekun)")}
DECISION_TITLES = {"requested": Label("待审批", "Awaiting decision"), "approved": Label("已批准", "Approved"),
                   "rejected": Label("已驳回", "Rejected")}
LEDGER_COLUMNS = (Column("occurred_at", Label("时间", "Time")),
                  Column("kind", Label("类型", "Type"), labels=KIND_TITLES),
                  Column("amount_fen", Label("金额（元）", "Amount (yuan)"), True),
                  Column("out_trade_no", Label("商户订单号", "Merchant order number")),
                  Column("transaction_id", Label("微信支付订单号", "WeChat Pay transaction number")),
                  Column("out_refund_no", Label("退款单号", "Refund number")),
                  Column("refund_kind", Label("退款类型", "Refund kind"), labels=REFUND_KIND_TITLES),
                  Column("reason", Label("退款原因", "Refund reason")),
                  Column("requested_by_name", Label("退款申请人", "Refund requested by")),
                  Column("decided_by_name", Label("退款审批人", "Refund decided by")))
MISMATCH_COLUMNS = (Column("bill_date", Label("对账日期", "Date reconciled")),
                    Column("key", Label("单号", "Reference")),
                    Column("kind", Label("差异类型", "Mismatch"), labels=MISMATCH_TITLES),
                    Column("ours_fen", Label("我方金额（元）", "Our amount (yuan)"), True),
                    Column("theirs_fen", Label("微信金额（元）", "WeChat's amount (yuan)"), True),
                    Column("our_status", Label("我方状态", "Our status")),
                    Column("their_status", Label("微信状态", "WeChat's status")),
                    Column("state", Label("处理状态", "State"), labels=STATE_TITLES),
                    Column("note", Label("说明", "Note")), Column("updated_by", Label("处理人", "Handled by")),
                    Column("updated_at", Label("处理时间", "Handled at")))
EXEMPTION_COLUMNS = (Column("account_number", Label("户号", "Account number")),
                     Column("payer_name", Label("缴费人", "Payer")), Column("street_name", STREET),
                     Column("kind", Label("减免类型", "Exemption kind"), labels=EXEMPTION_TITLES),
                     Column("reduction_pct", Label("减免比例（%）", "Reduction (%)")),
                     Column("evidence", Label("证明材料", "Evidence")),
                     Column("valid_from", Label("有效期起", "Valid from")),
                     Column("valid_to", Label("有效期止", "Valid to")),
                     Column("status", Label("审批状态", "Decision"), labels=DECISION_TITLES),
                     Column("requested_by_name", Label("申请人", "Requested by")),
                     Column("requested_at", Label("申请时间", "Requested at")),
                     Column("decided_by_name", Label("审批人", "Decided by")),
                     Column("decided_at", Label("审批时间", "Decided at")),
                     Column("decision_reason", Label("审批意见", "Decision reason")))
# The sheets' names
ARREARS_SHEET = Label("欠费账龄", "Arrears by age")
COLLECTION_SHEET = Label("收缴率", "Collection rate")
LEDGER_SHEET = Label("收退款流水", "Payments and refunds")
MISMATCH_SHEET = Label("对账差异", "Reconciliation mismatches")
EXEMPTION_SHEET = Label("减免审批", "Exemptions")
