"""Citizen snap-and-report endpoints: draft, photos, submit, track, withdraw, reopen, rate."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from api.access import current_user, public, requires
from api.cases import citizen
from api.cases import queries as case_queries
from api.cases import service as case_service
from api.cases.errors import (
    AlreadyRated,
    IllegalCaseTransition,
    RatingWindowPassed,
    ReopenLimitReached,
    ReopenWindowPassed,
)
from api.extensions import Blueprint
from api.media import uploads
from api.media.errors import (
    NotAnImage,
    PhotoContentRisky,
    PhotoCorrupt,
    PhotoFormatUnsupported,
    PhotoMissing,
    PhotoTooLarge,
    PhotoTooManyPixels,
)
from api.reports import categories, queries, service
from api.reports.errors import (
    ContentRisky,
    IdempotencyKeyReused,
    IllegalReportTransition,
    LocationOutsideDistrict,
    PhotoNotFound,
    PhotoRequired,
    ReportNotDraft,
    ReportNotFound,
    TooManyPhotos,
    UnknownCategory,
)
from api.reports.present import photo_view, report_view
from api.reports.schemas import (
    CitizenCategorySchema,
    CreateReportSchema,
    IdempotencyHeaderSchema,
    MyReportsArgsSchema,
    PhotoSchema,
    PhotoUploadSchema,
    RatingOutSchema,
    RatingSchema,
    ReasonSchema,
    ReportDetailSchema,
    ReportPageSchema,
    ReportSchema,
    RequiredReasonSchema,
)
from api.roles import Role
from api.wechat.errors import WeChatRateLimited, WeChatRequestRejected, WeChatUnavailable

blp = Blueprint("reports", __name__, url_prefix="/reports", description="Citizen snap-and-report")


def _base_url() -> str:
    return request.host_url


def _detail(report, case) -> dict:
    return {**report_view(report, _base_url(), case=case, timeline=True), "progress": citizen.progress(report, case)}


@blp.route("/categories")
class Categories(MethodView):
    @public
    @blp.response(200, CitizenCategorySchema(many=True))
    def get(self):
        """The category list the mini-program offers"""
        return list(categories.CATEGORIES)


@blp.route("")
class Reports(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(MyReportsArgsSchema, location="query")
    @blp.response(200, ReportPageSchema)
    def get(self, args):
        """My reports, newest first, optionally filtered by status"""
        query = queries.mine(current_user().id, None)
        if args.get("status"):
            query = case_queries.filter_by_citizen_status(query, args["status"])
        items, total = queries.page_of(query, args["page"], args["page_size"])
        cases = case_queries.cases_of_reports([r.id for r in items])
        return {"items": [report_view(r, _base_url(), case=cases.get(r.id)) for r in items], "page": args["page"],
                "page_size": args["page_size"], "total": total}

    @requires(Role.CITIZEN)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(CreateReportSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(200, schema=ReportSchema, description="Repeated Idempotency-Key: the original report")
    @blp.errors(UnknownCategory, LocationOutsideDistrict, ContentRisky, IdempotencyKeyReused, WeChatUnavailable,
                WeChatRateLimited, WeChatRequestRejected)
    def post(self, headers, body):
        """Start a report (a draft): description, location, optional category and address

        Creates a draft (event `created`). The text passes WeChat's content-security check: risky text is refused
        (422 CONTENT_RISKY), review-grade text is accepted and flagged for staff; if WeChat cannot be reached the
        draft is kept and flagged. Points outside Baiyun get 422 LOCATION_OUTSIDE_DISTRICT. A repeated
        Idempotency-Key answers 200 with the original; the same key with a different body 422. Attach photos
        next, then submit.
        """
        location = body["location"]
        new = service.NewReport(description=body["description"], lat=location["lat"], lon=location["lon"],
                                coord_system=location["coord_system"], category_hint=body.get("category_hint"),
                                address_text=body.get("address_text"),
                                idempotency_key=headers.get("idempotency_key"))
        report, created = service.create_draft(current_user(), new)
        return report_view(report, _base_url()), 201 if created else 200


@blp.route("/<int:report_id>")
class ReportById(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(ReportNotFound)
    def get(self, report_id: int):
        """One of my reports with its photos, timeline and, once resolved, the result to rate"""
        report = queries.get_own(current_user().id, report_id)
        return _detail(report, case_queries.case_of_report(report.id))


@blp.route("/<int:report_id>/photos")
class ReportPhotos(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, PhotoSchema)
    @blp.errors(PhotoMissing, ReportNotFound, ReportNotDraft, TooManyPhotos, PhotoTooLarge, NotAnImage,
                PhotoFormatUnsupported, PhotoTooManyPixels, PhotoCorrupt, PhotoContentRisky, WeChatUnavailable,
                WeChatRateLimited, WeChatRequestRejected)
    def post(self, files, report_id: int):
        """Attach one photo (multipart field `photo`) to a draft; 1–9 per report

        Stores the photo on the draft (event `photo_attached`) and answers its signed links. JPEG, PNG or WebP
        (MPO: its first picture), at most 10 MB, checked by content; only the image is kept (EXIF, XMP, thumbnails
        and anything appended are dropped; capture time and GPS are kept as fields); auto-oriented.
        """
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        item = service.attach_photo(current_user(), report_id, raw)
        return photo_view(item, _base_url())


blp.before_request(uploads.refuse_oversized_photo)


@blp.route("/<int:report_id>/photos/<int:media_id>")
class ReportPhotoById(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(204)
    @blp.errors(ReportNotFound, PhotoNotFound, ReportNotDraft)
    def delete(self, report_id: int, media_id: int):
        """Remove a photo from a draft

        Deletes the photo and its files (event `photo_removed`); only while the report is a draft.
        """
        service.remove_photo(current_user(), report_id, media_id)


@blp.route("/<int:report_id>/submit")
class ReportSubmit(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(PhotoRequired, ReportNotFound, IllegalReportTransition, IllegalCaseTransition)
    def post(self, report_id: int):
        """Submit a draft (at least one photo): a case is opened and the citizen told it was received

        In one transaction: the report becomes `submitted`, its case opens at the intake desk (status
        `submitted`, 待受理, until staff accept it), the intake clerks are told, and the automatic intake starts.
        """
        report, case = case_service.submit_report(current_user(), report_id)
        return _detail(report, case)


@blp.route("/<int:report_id>/withdraw")
class ReportWithdraw(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(ReasonSchema)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(ReportNotFound, IllegalReportTransition, IllegalCaseTransition)
    def post(self, body, report_id: int):
        """Withdraw a submitted report (until staff accept its case)

        The case is withdrawn when this report is its only one; otherwise only this report leaves it.
        """
        report, case = case_service.withdraw_report(current_user(), report_id, body.get("reason"))
        return _detail(report, case)


@blp.route("/<int:report_id>/reopen")
class ReportReopen(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(ReportNotFound, IllegalCaseTransition, ReopenWindowPassed, ReopenLimitReached)
    def post(self, body, report_id: int):
        """Reopen a resolved report within 7 days of closing, with a reason

        The case goes back to the dispatch desk (event `reopen`) and its outcome becomes a new round that you may
        rate again. Each report may be reopened REOPENS_PER_REPORT times (default once); on a case several
        citizens follow, each may reopen once.
        """
        case = case_service.reopen(current_user(), report_id, body["reason"])
        report = queries.get_own(current_user().id, report_id)
        return _detail(report, case)


@blp.route("/<int:report_id>/rating")
class ReportRating(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(RatingSchema)
    @blp.response(201, RatingOutSchema)
    @blp.errors(ReportNotFound, IllegalCaseTransition, AlreadyRated, RatingWindowPassed)
    def post(self, body, report_id: int):
        """Rate the result (1–5, with a comment) once the case is resolved; once per outcome

        Records the rating (event `rated`). One rating per report per round: after a reopen the new outcome can
        be rated again; statistics use the latest. Within CITIZEN_WINDOW_DAYS (7) of closing.
        """
        return case_service.rate(current_user(), report_id, body["score"], body.get("comment"))
