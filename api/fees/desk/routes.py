"""The billing desk for 收费员 (`billing_clerk`) and 收费负责人 (`billing_head`), scoped by street: accounts,
standards, exemptions, bill runs, reminders, refunds, refused notifies, reconciliation. Every change is an event
with who, when and why."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView

from api import jobs, timefmt
from api.access import current_user, requires
from api.db import Session
from api.errors import Forbidden
from api.events.service import Actor
from api.extensions import Blueprint
from api.fees import errors
from api.fees.billing import accounts, billrun, reminders, standards
from api.fees.models import Bill, BillRun
from api.fees.payments import notify, orders, reconcile, refunds
from api.fees.receipts import service as receipts
from api.fees.schemas import (
    AccountSearchSchema,
    BillRunRequestSchema,
    BillRunSchema,
    CountSchema,
    DecisionSchema,
    ExemptionRequestSchema,
    ExemptionSchema,
    FeeItemSchema,
    FeeStandardSchema,
    ItemPatchSchema,
    MismatchPatchSchema,
    MismatchSchema,
    PayNotifySchema,
    ReceiptSchema,
    ReconArgsSchema,
    ReconSchema,
    RefundArgsSchema,
    RefundRequestSchema,
    RefundSchema,
    ReissueSchema,
    ReminderRequestSchema,
    StaffAccountDetailSchema,
    StaffAccountSchema,
    StaffOrderSchema,
    StatusArgsSchema,
    UnbindSchema,
    VerdictArgsSchema,
)
from api.outbox import service as outbox
from api.roles import Role

desk_blp = Blueprint("billing", __name__, url_prefix="/admin/billing", description="The billing desk (收费)")
BILLING = (Role.BILLING_CLERK, Role.BILLING_HEAD)


class DistrictWideOnly(Forbidden):
    code, message = "DISTRICT_WIDE_ONLY", "Only district-wide billing heads change what applies to every street."


def _district_wide():
    user = current_user()
    if user.scope_division_code is not None:
        raise DistrictWideOnly()
    return user


@desk_blp.route("/accounts")
class AccountSearch(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(AccountSearchSchema, location="query")
    @desk_blp.response(200, StaffAccountSchema(many=True))
    def get(self, args):
        """Find accounts by 户号, payer name, phone's last four digits or part of the address (in your street)

        Reads only; at most 50 accounts."""
        return accounts.search(current_user(), number=args.get("number"), name=args.get("name"),
                               phone_suffix=args.get("phone_suffix"), address=args.get("address"))


@desk_blp.route("/accounts/<int:account_id>")
class AccountDetail(MethodView):
    @requires(*BILLING)
    @desk_blp.response(200, StaffAccountDetailSchema)
    @desk_blp.errors(errors.AccountNotFound)
    def get(self, account_id: int):
        """One account with its bound users and its last 24 bills

        Reads only."""
        account = accounts.account_for_staff(current_user(), account_id)
        account.bindings = accounts.bindings_of(account.id)
        account.bills = orders.with_lines(list(Session.scalars(sa.select(Bill).where(Bill.account_id == account.id)
                                                        .order_by(Bill.period.desc()).limit(24))))
        return account


@desk_blp.route("/accounts/<int:account_id>/unbind")
class UnbindAccount(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(UnbindSchema)
    @desk_blp.response(204)
    @desk_blp.errors(errors.AccountNotFound, errors.BindingNotFound)
    def post(self, body, account_id: int):
        """Unbind a user from an account (with the reason, audited)

        Ends the binding; an event records who, when and why."""
        user = current_user()
        accounts.account_for_staff(user, account_id)
        accounts.unbind(account_id, body["user_id"], Actor("staff", user.id), body["reason"])


@desk_blp.route("/items")
class FeeItems(MethodView):
    @requires(*BILLING)
    @desk_blp.response(200, FeeItemSchema(many=True))
    def get(self):
        """Fee items with their standards over time

        Reads only."""
        rows = standards.standards()
        items = standards.items()
        for item in items:
            item.standards = [s for s in rows if s.item_code == item.code]
        return items


@desk_blp.route("/items/<code>")
class FeeItemSwitch(MethodView):
    @requires(Role.BILLING_HEAD)
    @desk_blp.arguments(ItemPatchSchema)
    @desk_blp.response(200, FeeItemSchema)
    @desk_blp.errors(errors.StandardNotFound, DistrictWideOnly)
    def patch(self, body, code: str):
        """Enable or disable a fee item for the next bill runs (audited, with the reason)

        Bills already made keep their lines."""
        return standards.set_item_enabled(code, body["enabled"], body["reason"], _district_wide())


@desk_blp.route("/standards")
class FeeStandards(MethodView):
    @requires(Role.BILLING_HEAD)
    @desk_blp.arguments(FeeStandardSchema)
    @desk_blp.response(201, FeeStandardSchema)
    @desk_blp.errors(errors.StandardNotFound, errors.StandardInThePast, DistrictWideOnly)
    def post(self, body):
        """Set a standard from a date (fen per unit per month; per bin for `bin`)

        Billed months are never re-priced: the date must come after the last month a bill run has begun.
        A change inside a month is prorated by day in that month's bills."""
        return standards.set_standard(body["item_code"], body["basis"], body["amount_fen"], body["effective_from"],
                                      body["source"], _district_wide())


@desk_blp.route("/exemptions")
class Exemptions(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(StatusArgsSchema, location="query")
    @desk_blp.response(200, ExemptionSchema(many=True))
    def get(self, args):
        """Exemption requests in your street (newest first), with who asked and who decided, by name, and when

        Reads only; at most 200."""
        return standards.exemptions(current_user(), args.get("status"))

    @requires(*BILLING)
    @desk_blp.arguments(ExemptionRequestSchema)
    @desk_blp.response(201, ExemptionSchema)
    @desk_blp.errors(errors.AccountNotFound, errors.PeriodInvalid)
    def post(self, body):
        """Request an exemption or reduction (低保, 低收入困难家庭, 特困) with its evidence and validity

        Creates a request a billing head (not you) approves; bill runs after approval prorate it by day."""
        return standards.request_exemption(current_user(), body.pop("account_id"), **body)


@desk_blp.route("/exemptions/<int:exemption_id>/decision")
class ExemptionDecision(MethodView):
    @requires(Role.BILLING_HEAD)
    @desk_blp.arguments(DecisionSchema)
    @desk_blp.response(200, ExemptionSchema)
    @desk_blp.errors(errors.ExemptionNotFound, errors.AccountNotFound, errors.AlreadyDecided, errors.OwnRequest)
    def post(self, body, exemption_id: int):
        """Approve or reject an exemption (never your own request)

        Records the decision, who made it and why; an approval re-prices the account's bills in its period that
        nobody has started paying."""
        user = current_user()
        row = standards.decide_exemption(user, exemption_id, body["approve"], body["reason"])
        if row.status == "approved":
            billrun.reprice_unpaid(row.account_id, row.valid_from, row.valid_to, Actor("staff", user.id))
        return row


@desk_blp.route("/bill-runs")
class BillRuns(MethodView):
    @requires(*BILLING)
    @desk_blp.response(200, BillRunSchema(many=True))
    def get(self):
        """Bill runs, newest period first

        Reads only."""
        return list(Session.scalars(sa.select(BillRun).order_by(BillRun.period.desc()).limit(36)))

    @requires(Role.BILLING_HEAD)
    @desk_blp.arguments(BillRunRequestSchema)
    @desk_blp.response(202, CountSchema)
    @desk_blp.errors(errors.PeriodInvalid, DistrictWideOnly)
    def post(self, body):
        """Queue the bill run of a month (idempotent: bills already made are kept; a cut-off run resumes)

        Adds the run's job to the outbox; the worker bills in batches."""
        _district_wide()
        if body["period"] > timefmt.today():
            raise errors.PeriodInvalid()
        outbox.add(jobs.BILL_RUN(body["period"].isoformat()))
        return {"count": 1}


@desk_blp.route("/reminders")
class BatchReminders(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(ReminderRequestSchema)
    @desk_blp.response(200, CountSchema)
    @desk_blp.errors(errors.AccountNotFound)
    def post(self, body):
        """Remind a street's unpaid bills now (at most one reminder per bill per stage, as the clock's)

        Queues subscribe messages to the accounts' bound users; a bill reminded at this stage already is skipped."""
        user = current_user()
        street = body.get("street_code") or user.scope_division_code
        if street is not None and not accounts.in_scope(user, street):
            raise errors.AccountNotFound("That street is outside your scope.")
        today = timefmt.today()
        return {"count": reminders.remind(body["stage"], today, street_code=street, actor=Actor("staff", user.id))}


@desk_blp.route("/refunds")
class Refunds(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(RefundArgsSchema, location="query")
    @desk_blp.response(200, RefundSchema(many=True))
    def get(self, args):
        """Refunds in your street (newest first), by status and kind, with who asked and who decided, by name

        Reads only; at most 200."""
        return refunds.listing(current_user(), args.get("status"), args.get("kind"))

    @requires(Role.BILLING_CLERK)
    @desk_blp.arguments(RefundRequestSchema)
    @desk_blp.response(201, RefundSchema)
    @desk_blp.errors(errors.BillNotFound, errors.RefundTooLarge, errors.BillNotSettled, errors.CancelNotWhole)
    def post(self, body):
        """Request a refund of a bill's payment, saying what it is for (a billing head approves it)

        Creates a refund request against the bill's paid order; nothing is sent to WeChat until it is approved.
        `kind`: `overcharge` (多收) or `exemption` (减免) — part or all of a paid bill's payment; once refunded the
        bill's amount due is lowered by it, the bill stays settled (never in arrears, never reminded) and its
        receipt is reversed and re-issued for the new amount; an exemption's share also counts as exempted in the
        collection report. `cancel` (撤销缴费) — exactly the bill's whole unrefunded payment by one order; once
        refunded the bill is owed again, its payers get a message saying so, and its receipt is reversed and not
        re-issued for it."""
        return refunds.request(current_user(), body["bill_id"], body["amount_fen"], body["kind"], body["reason"])


@desk_blp.route("/refunds/<int:refund_id>/decision")
class RefundDecision(MethodView):
    @requires(Role.BILLING_HEAD)
    @desk_blp.arguments(DecisionSchema)
    @desk_blp.response(200, RefundSchema)
    @desk_blp.errors(errors.RefundNotFound, errors.AlreadyDecided, errors.OwnRequest)
    def post(self, body, refund_id: int):
        """Approve (sent to WeChat Pay by a job) or reject a refund — never your own request

        Approval queues the refund job (outbox); the bill changes when WeChat confirms the refund."""
        return refunds.decide(current_user(), refund_id, body["approve"], body["reason"])


@desk_blp.route("/receipts/<int:receipt_id>/reissue")
class ReissueReceipt(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(ReissueSchema)
    @desk_blp.response(200, ReceiptSchema)
    @desk_blp.errors(errors.ReceiptNotFound, errors.ReceiptNotReissuable)
    def post(self, body, receipt_id: int):
        """Re-issue a receipt (audited, with the reason)

        One the platform refused is asked for again; an issued one is rendered and stored again with its number."""
        user = current_user()
        return receipts.reissue(receipt_id, Actor("staff", user.id), body["reason"], user.scope_division_code)


@desk_blp.route("/notifications")
class RefusedNotifies(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(VerdictArgsSchema, location="query")
    @desk_blp.response(200, PayNotifySchema(many=True))
    def get(self, args):
        """WeChat Pay notifies that credited nothing (probe, forged, stale, malformed, duplicate, mismatch)

        Reads only; at most 100, newest first."""
        return notify.kept(args.get("verdict"))


@desk_blp.route("/orders/flagged")
class FlaggedOrders(MethodView):
    @requires(*BILLING)
    @desk_blp.response(200, StaffOrderSchema(many=True))
    def get(self):
        """Paid orders flagged for the billing head: paid by another WeChat user than the order's (payer_differs)

        Reads only; at most 200, newest first; street staff see orders that paid a bill of their street. Each
        order was settled (the money had moved); the flag, the payer WeChat reported and an event record why."""
        return orders.flagged(current_user())


@desk_blp.route("/reconciliation")
class Reconciliation(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(ReconArgsSchema, location="query")
    @desk_blp.response(200, ReconSchema)
    @desk_blp.errors(errors.MismatchNotFound)
    def get(self, args):
        """One day's reconciliation: WeChat's totals, ours, and each mismatch with its state

        Reads only."""
        recon, items = reconcile.results(args["date"])
        if recon is None:
            raise errors.MismatchNotFound("That day has not been reconciled.")
        recon.items = items
        return recon


@desk_blp.route("/reconciliation/mismatches/<int:mismatch_id>")
class Mismatch(MethodView):
    @requires(*BILLING)
    @desk_blp.arguments(MismatchPatchSchema)
    @desk_blp.response(200, MismatchSchema)
    @desk_blp.errors(errors.MismatchNotFound)
    def patch(self, body, mismatch_id: int):
        """Mark a mismatch explained or fixed, with a note (audited)

        Changes the mismatch's state; an event records who and why."""
        return reconcile.update_mismatch(current_user(), mismatch_id, body["state"], body["note"])
