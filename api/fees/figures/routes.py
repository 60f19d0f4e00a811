"""The billing desk's reports (/admin/billing/reports): arrears with ageing, the collection rate, the ledger,
reconciliation mismatches, exemption approvals — as JSON, CSV or an Excel workbook (`?format=`: Chinese headers and
words, English with Accept-Language: en), scoped by street like the rest of the desk."""

from __future__ import annotations

from flask.views import MethodView

from api import exports, timefmt
from api.access import current_user, requires
from api.extensions import Blueprint
from api.fees import errors
from api.fees.figures import service as reports
from api.fees.figures.schemas import (
    ArrearsRowSchema,
    CollectionRowSchema,
    ExemptionReportArgsSchema,
    ExemptionRowSchema,
    LedgerArgsSchema,
    LedgerRowSchema,
    MismatchReportArgsSchema,
    MismatchRowSchema,
    ReportArgsSchema,
)
from api.roles import Role

reports_blp = Blueprint("billing_reports", __name__, url_prefix="/admin/billing/reports",
                        description="The billing desk's reports and exports")
BILLING = (Role.BILLING_CLERK, Role.BILLING_HEAD)
def _periods(args) -> None:
    if args["period_from"] > args["period_to"]:
        raise errors.PeriodInvalid("period_from is after period_to.")


@reports_blp.route("/arrears")
class Arrears(MethodView):
    @requires(*BILLING)
    @reports_blp.arguments(ReportArgsSchema, location="query")
    @reports_blp.response(200, ArrearsRowSchema(many=True))
    @reports_blp.errors(errors.PeriodInvalid)
    def get(self, args):
        """Arrears by street (or community) × period, with ageing

        Reads only. Outstanding = owed − paid (net of refunds) on unpaid and partly paid bills, split by days past
        the due date. `format=csv|xlsx` downloads it with Chinese headers (English with `Accept-Language: en`),
        amounts in yuan."""
        _periods(args)
        rows = reports.arrears(current_user(), group_by=args["group_by"], period_from=args["period_from"],
                               period_to=args["period_to"], today=timefmt.today())
        columns = reports.ARREARS_COLUMNS if args["group_by"] == "community" else tuple(
            c for c in reports.ARREARS_COLUMNS if c.key != "community")
        return exports.answer(args["format"], "arrears", reports.ARREARS_SHEET, columns, rows)


@reports_blp.route("/collection")
class Collection(MethodView):
    @requires(*BILLING)
    @reports_blp.arguments(ReportArgsSchema, location="query")
    @reports_blp.response(200, CollectionRowSchema(many=True))
    @reports_blp.errors(errors.PeriodInvalid)
    def get(self, args):
        """The collection rate (实收 / 应收) per street × period, exempted amounts apart

        Reads only; `format=csv|xlsx` downloads it."""
        _periods(args)
        rows = reports.collection(current_user(), period_from=args["period_from"], period_to=args["period_to"])
        return exports.answer(args["format"], "collection", reports.COLLECTION_SHEET, reports.COLLECTION_COLUMNS,
                              rows)


@reports_blp.route("/ledger")
class Ledger(MethodView):
    @requires(*BILLING)
    @reports_blp.arguments(LedgerArgsSchema, location="query")
    @reports_blp.response(200, LedgerRowSchema(many=True))
    @reports_blp.errors(errors.PeriodInvalid)
    def get(self, args):
        """The payments and refunds ledger between two days (Beijing time)

        Reads only; at most 5,000 movements, oldest first, a refund with who asked for it and who decided;
        `format=csv|xlsx` downloads it."""
        if args["day_from"] > args["day_to"]:
            raise errors.PeriodInvalid("day_from is after day_to.")
        rows = reports.ledger(current_user(), day_from=args["day_from"], day_to=args["day_to"])
        return exports.answer(args["format"], "ledger", reports.LEDGER_SHEET, reports.LEDGER_COLUMNS, rows)


@reports_blp.route("/reconciliation")
class Mismatches(MethodView):
    @requires(*BILLING)
    @reports_blp.arguments(MismatchReportArgsSchema, location="query")
    @reports_blp.response(200, MismatchRowSchema(many=True))
    @reports_blp.errors(errors.PeriodInvalid)
    def get(self, args):
        """Reconciliation mismatches between two days with their state (open / explained / fixed)

        Reads only; at most 5,000, by day; `format=csv|xlsx` downloads them with Chinese headers (English with
        `Accept-Language: en`)."""
        if args["day_from"] > args["day_to"]:
            raise errors.PeriodInvalid("day_from is after day_to.")
        rows = reports.mismatches(day_from=args["day_from"], day_to=args["day_to"], state=args.get("state"))
        return exports.answer(args["format"], "reconciliation", reports.MISMATCH_SHEET, reports.MISMATCH_COLUMNS,
                              rows)


@reports_blp.route("/exemptions")
class ExemptionReport(MethodView):
    @requires(*BILLING)
    @reports_blp.arguments(ExemptionReportArgsSchema, location="query")
    @reports_blp.response(200, ExemptionRowSchema(many=True))
    def get(self, args):
        """Exemption requests and approvals in your street, with who asked and who decided (names) and when

        Reads only; at most 5,000, newest first; `format=csv|xlsx` downloads them."""
        rows = reports.exemption_rows(current_user(), status=args.get("status"), kind=args.get("kind"))
        return exports.answer(args["format"], "exemptions", reports.EXEMPTION_SHEET, reports.EXEMPTION_COLUMNS,
                              rows)
