"""The citizen's /reports, one blueprint: the category list, start a report and attach its photos, list, track,
submit, withdraw, reopen, rate. The photo and draft rules are the reports domain's (api/reports/service.py); what
needs the case is the citizen view's (api/citizen/service.py).
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from api.access import current_user, public, requires
from api.cases import queries as case_queries
from api.cases.errors import (
    AlreadyRated,
    IllegalCaseTransition,
    RatingWindowPassed,
    ReopenLimitReached,
    ReopenWindowPassed,
)
from api.citizen import progress, service
from api.citizen.present import report_view
from api.citizen.queries import filter_by_citizen_status
from api.citizen.schemas import (
    MyReportsArgsSchema,
    RatingOutSchema,
    RatingSchema,
    ReasonSchema,
    ReportDetailSchema,
    ReportPageSchema,
    ReportViewSchema,
    RequiredReasonSchema,
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
from api.organisation.errors import LocationOutsideDistrict
from api.reports import categories, queries
from api.reports import service as reports
from api.reports.errors import (
    ContentRisky,
    IdempotencyKeyReused,
    IllegalReportTransition,
    PhotoNotFound,
    PhotoRequired,
    ReportNotDraft,
    ReportNotFound,
    TooManyPhotos,
    UnknownCategory,
)
from api.reports.present import photo_view
from api.reports.schemas import (
    CitizenCategorySchema,
    CreateReportSchema,
    IdempotencyHeaderSchema,
    PhotoSchema,
    PhotoUploadSchema,
    UpdateDraftSchema,
)
from api.roles import Role

blp = Blueprint("citizen_reports", __name__, url_prefix="/reports",
                description="Citizen snap-and-report: a citizen's reports, their photos and their cases")
blp.before_request(uploads.refuse_oversized_photo)


def _base_url() -> str:
    return request.host_url


def _detail(report, case) -> dict:
    return {**report_view(report, _base_url(), case=case, timeline=True), "progress": progress.progress(report, case)}




@blp.route("")
class Reports(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(MyReportsArgsSchema, location="query")
    @blp.response(200, ReportPageSchema)
    def get(self, args):
        """My reports, newest first, optionally filtered by status"""
        query = queries.mine(current_user().id, None)
        if args.get("status"):
            query = filter_by_citizen_status(query, args["status"])
        items, total = queries.page_of(query, args["page"], args["page_size"])
        cases = case_queries.cases_of_reports([r.id for r in items])
        return {"items": [report_view(r, _base_url(), case=cases.get(r.id)) for r in items], "page": args["page"],
                "page_size": args["page_size"], "total": total}

    @requires(Role.CITIZEN)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(CreateReportSchema)
    @blp.response(201, ReportViewSchema)
    @blp.alt_response(200, schema=ReportViewSchema, description="Repeated Idempotency-Key: the original report")
    @blp.errors(UnknownCategory, LocationOutsideDistrict, IdempotencyKeyReused)
    def post(self, headers, body):
        """Start a report (a draft): description, location, optional category, address and contact phone

        Creates a draft (event `created`) and answers at once: WeChat's content-security check of the text runs
        as a job afterwards (event `content_checked`). Risky text cannot be submitted (422 CONTENT_RISKY at
        submit); review-grade text, or text WeChat could not check, is accepted and flagged for staff. Points
        outside Baiyun get 422 LOCATION_OUTSIDE_DISTRICT. A repeated Idempotency-Key answers 200 with the
        original; the same key with a different body 422. Attach photos next, then submit. `contact_phone`
        (optional): a mainland mobile or landline (400 VALIDATION_ERROR otherwise), stored normalised
        (13812345678, 020-12345678); the intake clerks, the command centre and the supervisors see it to call
        back, other staff see it masked, no other citizen ever sees it.
        """
        location = body["location"]
        new = reports.NewReport(description=body["description"], lat=location["lat"], lon=location["lon"],
                                coord_system=location["coord_system"], category_hint=body.get("category_hint"),
                                address_text=body.get("address_text"), contact_phone=body.get("contact_phone"),
                                idempotency_key=headers.get("idempotency_key"))
        report, created = reports.create_draft(current_user(), new)
        case = None if created else case_queries.case_of_report(report.id)  # a repeat may find it submitted
        return report_view(report, _base_url(), case=case, new=created), 201 if created else 200


@blp.route("/<int:report_id>")
class ReportById(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(ReportNotFound)
    def get(self, report_id: int):
        """One of my reports with its photos, timeline and, once resolved, the result to rate"""
        report = queries.get_own(current_user().id, report_id)
        return _detail(report, case_queries.case_of_report(report.id))

    @requires(Role.CITIZEN)
    @blp.arguments(UpdateDraftSchema)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(ReportNotFound, ReportNotDraft, UnknownCategory, LocationOutsideDistrict)
    def patch(self, body, report_id: int):
        """Correct a draft: its description, location, category hint, address or contact phone; its photos stay

        Only while the report is a draft (409 REPORT_NOT_DRAFT after submit). Changed text is checked again by
        WeChat's content check (a job, as at the start: `content_check` is `pending` until it answers), so a
        draft whose text was refused (CONTENT_RISKY at submit) can be corrected and submitted with the photos
        already uploaded; photos are removed or added through /reports/{id}/photos. Event `draft_edited` with
        the fields changed (a changed phone masked); nothing changed is a no-op. `contact_phone: null` removes
        the phone.
        """
        report = reports.update_draft(current_user(), report_id, body)
        return _detail(report, None)


@blp.route("/<int:report_id>/submit")
class ReportSubmit(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, ReportDetailSchema)
    @blp.errors(PhotoRequired, ContentRisky, PhotoContentRisky, ReportNotFound, IllegalReportTransition,
                IllegalCaseTransition)
    def post(self, report_id: int):
        """Submit a draft (at least one photo): a case is opened and the citizen told it was received

        In one transaction: the report becomes `submitted`, its case opens at the intake desk (status
        `submitted`, 待受理, until staff accept it), the intake clerks are told, and the automatic intake starts.
        A draft whose text or a photo WeChat judged risky is refused (422 CONTENT_RISKY, or PHOTO_CONTENT_RISKY
        with the photos' ids: remove them and submit again); one whose check is still running may be submitted,
        and a verdict that arrives later flags the case for the intake clerk.
        """
        report, case = service.submit_report(current_user(), report_id)
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
        report, case = service.withdraw_report(current_user(), report_id, body.get("reason"))
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
        case = service.reopen(current_user(), report_id, body["reason"])
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
        return service.rate(current_user(), report_id, body["score"], body.get("comment"))


@blp.route("/categories")
class Categories(MethodView):
    @public
    @blp.response(200, CitizenCategorySchema(many=True))
    def get(self):
        """The category list the mini-program offers"""
        return list(categories.CATEGORIES)


@blp.route("/<int:report_id>/photos")
class ReportPhotos(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, PhotoSchema)
    @blp.errors(PhotoMissing, ReportNotFound, ReportNotDraft, TooManyPhotos, PhotoTooLarge, NotAnImage,
                PhotoFormatUnsupported, PhotoTooManyPixels, PhotoCorrupt)
    def post(self, files, report_id: int):
        """Attach one photo (multipart field `photo`) to a draft; 1–9 per report

        Stores the photo on the draft (event `photo_attached`) and answers its signed links. JPEG, PNG or WebP
        (MPO: its first picture), at most 10 MB, checked by content; only the image is kept (EXIF, XMP, thumbnails
        and anything appended are dropped; capture time and GPS are kept as fields); auto-oriented. WeChat's
        image check runs as a job afterwards: a photo judged risky blocks the submit until it is removed.
        """
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        item = reports.attach_photo(current_user(), report_id, raw)
        return photo_view(item, _base_url())


@blp.route("/<int:report_id>/photos/<int:media_id>")
class ReportPhotoById(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(204)
    @blp.errors(ReportNotFound, PhotoNotFound, ReportNotDraft)
    def delete(self, report_id: int, media_id: int):
        """Remove a photo from a draft

        Deletes the photo and its files (event `photo_removed`); only while the report is a draft.
        """
        reports.remove_photo(current_user(), report_id, media_id)
