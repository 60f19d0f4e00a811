"""Gas inspection endpoints: the field app (/gas/field), the gas supervisor's plans, tasks and cycles (/gas),
residents (/gas/my), and the public badge check (/gas/badges/verify)."""

from __future__ import annotations

import re

from flask import Response, current_app, request
from flask.views import MethodView

from api import exports, geo, pages, timefmt
from api.access import TokenInvalid, authenticate, current_user, public, requires
from api.db import unit_of_work
from api.extensions import Blueprint
from api.gas import badge_page, badges, checklist, documents, errors, field, planning, residents, statistics, users
from api.gas.schemas import (
    BadgeArgsSchema,
    BadgeSchema,
    BadgeVerificationSchema,
    BatchAnswerSchema,
    BatchSchema,
    BindGasSchema,
    BookingSchema,
    ChecklistSchema,
    CoverageArgsSchema,
    CoverageRowSchema,
    CycleArgsSchema,
    CycleSchema,
    DayArgsSchema,
    DayTaskSchema,
    GasPhotoUploadSchema,
    GasRatedSchema,
    GasRatingSchema,
    GasUserViewSchema,
    HazardArgsSchema,
    HazardRowSchema,
    MyVisitSchema,
    OpenHazardSchema,
    PhotoAnswerSchema,
    PlanAnswerSchema,
    PlanRequestSchema,
    ReassignSchema,
    TaskSchema,
    UpcomingSchema,
)
from api.identity.errors import OutOfScope
from api.media import uploads
from api.media.errors import (
    NotAnImage,
    PhotoCorrupt,
    PhotoFormatUnsupported,
    PhotoMissing,
    PhotoTooLarge,
    PhotoTooManyPixels,
)
from api.roles import Role

blp = Blueprint("gas", __name__, url_prefix="/gas", description="Gas-safety household inspection (入户安检)")
SUPERVISOR = Role.GAS_SUPERVISOR
CLIENT_ID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@blp.route("/field/checklist")
class Checklist(MethodView):
    @requires(Role.GAS_INSPECTOR, SUPERVISOR)
    @blp.response(200, ChecklistSchema)
    def get(self):
        """The current checklist version and its items

        Reads only. A visit names the version it was filled in with."""
        items = checklist.load(checklist.CURRENT).values()
        return {"version": checklist.CURRENT, "items": list(items)}


@blp.route("/field/tasks")
class DayList(MethodView):
    @requires(Role.GAS_INSPECTOR)
    @blp.arguments(DayArgsSchema, location="query")
    @blp.response(200, DayTaskSchema(many=True))
    def get(self, args):
        """My tasks for today in walking order (from `lat`,`lon` when given)

        Reads only. Assigned tasks due by today + GAS_LOOKAHEAD_DAYS, at most GAS_DAY_MAX_TASKS (overdue first),
        ordered by a nearest-neighbour tour improved by 2-opt. Keep each task's `version` for its visit."""
        start = geo.to_wgs84(args["lat"], args["lon"], args["coord_system"]) if "lat" in args and "lon" in args \
            else None
        return field.day_list(current_user(), timefmt.today(), start)


@blp.route("/field/photos/<string:client_id>")
class FieldPhoto(MethodView):
    @requires(Role.GAS_INSPECTOR)
    @blp.arguments(GasPhotoUploadSchema, location="files")
    @blp.response(201, PhotoAnswerSchema)
    @blp.alt_response(200, schema=PhotoAnswerSchema, description="already uploaded under this id: nothing new")
    @blp.errors(PhotoMissing, PhotoTooLarge, NotAnImage, PhotoFormatUnsupported, PhotoTooManyPixels, PhotoCorrupt,
                errors.PhotoIdTaken, errors.PhotoIdInvalid)
    def put(self, files, client_id: str):
        """Upload a photo (multipart field `photo`) under the app's own UUID, before the visits that name it

        Idempotent: the same id again answers 200 with the stored photo. JPEG, PNG or WebP, at most 10 MB."""
        if not CLIENT_ID_RE.fullmatch(client_id):
            raise errors.PhotoIdInvalid()
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        row, created = field.upload_photo(current_user(), client_id.lower(), raw)
        return {"client_id": row.client_id, "media_id": row.media_id}, 201 if created else 200


@blp.route("/field/visits")
class Visits(MethodView):
    @requires(Role.GAS_INSPECTOR)
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchAnswerSchema)
    def post(self, body):
        """Send a batch of visits recorded offline (1–200); each is answered on its own

        `accepted` (applied), `duplicate` (received before: what it became), `conflict` (kept for the gas
        supervisor: the task was reassigned or completed meanwhile), `rejected` (with an error; send it again
        once fixed, e.g. after uploading a missing photo). See docs/gas.md, the field app's protocol."""
        return {"results": field.sync(current_user(), [sealed.raw for sealed in body["visits"]])}


@blp.route("/field/badge")
class MyBadge(MethodView):
    @requires(Role.GAS_INSPECTOR)
    @blp.response(200, BadgeSchema)
    def get(self):
        """My badge: its QR payload, the verification link it opens, its validity and photo

        Issues the badge on first use and again once it expired (GAS_BADGE_VALID_DAYS; events `gas_badge_issued`,
        `gas_badge_renewed`): the expired QR then stops working."""
        with unit_of_work():  # a GET that may issue the badge: its own unit of work
            return badges.view(badges.current(current_user(), timefmt.today()), request.host_url)


@blp.route("/inspectors/<int:inspector_id>/photo")
class BadgePhoto(MethodView):
    @requires(SUPERVISOR)
    @blp.arguments(GasPhotoUploadSchema, location="files")
    @blp.response(200, BadgeSchema)
    @blp.errors(PhotoMissing, PhotoTooLarge, NotAnImage, PhotoFormatUnsupported, PhotoTooManyPixels, PhotoCorrupt,
                errors.BadgeHolderNotFound)
    def put(self, files, inspector_id: int):
        """Upload an inspector's badge photo (multipart field `photo`): what a badge check shows

        Gas supervisors of the inspector's street (district-wide ones: any). Issues the badge if it was not (event
        `gas_badge_photo_set`). JPEG, PNG or WebP, at most 10 MB; stored at most 640 px on its longest side."""
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        return badges.view(badges.set_photo(current_user(), inspector_id, raw), request.host_url)


@blp.route("/badges/verify")
class BadgeVerification(MethodView):
    @public
    @blp.arguments(BadgeArgsSchema, location="query")
    @blp.response(200, BadgeVerificationSchema)
    @blp.doc(responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
    @blp.errors(TokenInvalid)
    def get(self, args):
        """Is this inspector genuine? (what the badge's QR opens; no login needed)

        Reads only. The status said plainly (valid, expired, revoked, forged) with the name, photo and employer.
        With a citizen's token the answer also says whether a visit by this inspector is planned today at premises
        you bound, and says plainly when it is not (a token that is no longer valid: 401 TOKEN_INVALID, so the
        app logs in again rather than hiding the visit). `Accept: text/html` (a phone's browser) answers a small
        Chinese page instead of JSON."""
        citizen = None
        if request.headers.get("Authorization"):
            caller = authenticate()
            citizen = caller if Role.CITIZEN in caller.roles else None
        result = badges.check(args["p"], citizen)
        if pages.wants_html(request.accept_mimetypes):
            return badge_page.render(result)
        return badges.answer(result, request.host_url)


@blp.route("/visits/<int:visit_id>/record")
class VisitRecordPdf(MethodView):
    @requires(Role.GAS_INSPECTOR, SUPERVISOR, Role.CITIZEN)
    @blp.response(200, description="application/pdf")
    @blp.errors(errors.DocumentNotFound)
    def get(self, visit_id: int):
        """A visit's record (入户安检记录) as a PDF: items, outcome, hazards, the resident's signature

        Reads only (its QR opens the inspector's badge check: the badge is issued if it was not). The inspector who
        made it, the street's gas supervisors, and citizens who bound the user."""
        with unit_of_work():
            name, data = documents.visit_record(current_user(), visit_id)
        return _pdf(name, data)


@blp.route("/hazards/<int:hazard_id>/notice")
class NoticePdf(MethodView):
    @requires(Role.GAS_INSPECTOR, SUPERVISOR, Role.CITIZEN)
    @blp.response(200, description="application/pdf")
    @blp.errors(errors.DocumentNotFound)
    def get(self, hazard_id: int):
        """A hazard's rectification notice (隐患整改通知书) as a PDF: level, requirement, deadline

        Reads only (as the visit record, for its QR); who may see it as for the visit record. It prints the
        hazard's case number (AJ…)."""
        with unit_of_work():
            name, data = documents.rectification_notice(current_user(), hazard_id)
        return _pdf(name, data)


def _pdf(name: str, data: bytes) -> Response:
    return Response(data, 200, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "private"})


@blp.route("/reports/coverage")
class CoverageReport(MethodView):
    @requires(SUPERVISOR)
    @blp.arguments(CoverageArgsSchema, location="query")
    @blp.response(200, CoverageRowSchema(many=True))
    @blp.errors(errors.RangeInvalid)
    def get(self, args):
        """Coverage (inspected / due), refusals and no-shows per street, community or inspector, by due month

        Reads only; your street (district-wide supervisors: every street); `format=csv|xlsx` downloads it."""
        if args["month_from"] > args["month_to"]:
            raise errors.RangeInvalid()
        rows = statistics.coverage(current_user(), month_from=args["month_from"], month_to=args["month_to"],
                                   group_by=args["group_by"])
        columns = statistics.coverage_columns(args["group_by"])
        return exports.answer(args["format"], "gas-coverage", statistics.COVERAGE_SHEET, columns, rows)


@blp.route("/reports/hazards")
class HazardReport(MethodView):
    @requires(SUPERVISOR)
    @blp.arguments(HazardArgsSchema, location="query")
    @blp.response(200, HazardRowSchema(many=True))
    @blp.errors(errors.RangeInvalid)
    def get(self, args):
        """Hazards found, rectified, the rectification rate and mean days, by item and level (or by street,
        community, inspector)

        Reads only; your street; `format=csv|xlsx` downloads it."""
        if args["day_from"] > args["day_to"]:
            raise errors.RangeInvalid()
        rows = statistics.hazards(current_user(), day_from=args["day_from"], day_to=args["day_to"],
                                  group_by=args["group_by"])
        columns = statistics.hazard_columns(args["group_by"])
        return exports.answer(args["format"], "gas-hazards", statistics.HAZARD_SHEET, columns, rows)


@blp.route("/hazards")
class OpenHazards(MethodView):
    @requires(SUPERVISOR)
    @blp.response(200, OpenHazardSchema(many=True))
    def get(self):
        """Open hazards in your street, past their deadline first, then by level

        Reads only; at most 500."""
        return statistics.open_hazards(current_user(), timefmt.today())


@blp.route("/plans")
class Plans(MethodView):
    @requires(SUPERVISOR)
    @blp.arguments(PlanRequestSchema)
    @blp.response(200, PlanAnswerSchema)
    @blp.errors(OutOfScope)
    def post(self, body):
        """Plan due users into tasks (overdue first) and assign them by grid to the street's inspectors

        Creates a periodic task for every active user due by today + `horizon_days` that has none, then hands
        open tasks out with balanced workloads. Street supervisors plan their street only (naming another street
        answers 403 OUT_OF_SCOPE); district-wide ones the street named, or every street."""
        return planning.plan_for(current_user(), body.get("street_code"), timefmt.today(), body["horizon_days"])


@blp.route("/tasks/<int:task_id>/reassign")
class Reassign(MethodView):
    @requires(SUPERVISOR)
    @blp.arguments(ReassignSchema)
    @blp.response(200, TaskSchema)
    @blp.errors(errors.TaskNotFound, errors.TaskNotLive, errors.InspectorNotFound)
    def post(self, body, task_id: int):
        """Give a task to another inspector of its street (or take back one taken over), with a reason

        The task's version moves on; the old assignee's offline visits for it arrive as conflicts."""
        return planning.reassign(task_id, body["inspector_id"], body["reason"], current_user())


@blp.route("/tasks")
class Tasks(MethodView):
    @requires(SUPERVISOR)
    @blp.response(200, TaskSchema(many=True))
    def get(self):
        """Live tasks in your street that need a supervisor: taken over after no-shows, refused, overdue

        Reads only; at most 500, oldest due first."""
        return planning.needing_supervisor(current_user(), timefmt.today())


@blp.route("/cycles")
class Cycles(MethodView):
    @requires(SUPERVISOR, Role.GAS_INSPECTOR)
    @blp.response(200, CycleSchema(many=True))
    def get(self):
        """Inspection cycles per user type (months)

        Reads only."""
        return users.all_cycles()

    @requires(SUPERVISOR)
    @blp.arguments(CycleArgsSchema, location="query")
    @blp.arguments(CycleSchema)
    @blp.response(200, CycleSchema)
    @blp.errors(errors.CycleNotFound, errors.DistrictWideOnly)
    def put(self, args, body):
        """Change a user type's cycle (district-wide gas supervisors), with the rule or decision behind it

        Every user of that type becomes due `months` after its last inspection."""
        me = current_user()
        if me.scope_division_code is not None:
            raise errors.DistrictWideOnly()
        return users.set_cycle(args["user_type"], body["months"], body["source"], me)


@blp.route("/my/bind")
class Bind(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(BindGasSchema)
    @blp.response(201, GasUserViewSchema)
    @blp.errors(errors.GasBindingCheckFailed, errors.TooManyBindingAttempts)
    def post(self, body):
        """Bind a gas user: 户号 or meter number, plus the contact's full name or the phone's last four digits

        Adds the binding (event `gas_user_bound`); 10 tries an hour per user and per number."""
        return residents.bind(current_user(), body["number"], body["check"])


@blp.route("/my/visits/<int:task_id>/booking")
class Booking(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(BookingSchema)
    @blp.response(200, UpcomingSchema)
    @blp.errors(errors.TaskNotFound, errors.BookingDayInvalid)
    def put(self, body, task_id: int):
        """Book or move a planned visit to a day and half-day (from tomorrow to GAS_BOOKING_DAYS ahead)

        Changes the task's booking (event `gas_visit_booked`); the inspector is told; you are reminded the day
        before."""
        residents.book(current_user(), task_id, body["day"], body["slot"])
        return next(v for v in residents.upcoming(current_user()) if v["task_id"] == task_id)


@blp.route("/my/visits/<int:visit_id>/rating")
class Rating(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(GasRatingSchema)
    @blp.response(201, GasRatedSchema)
    @blp.errors(errors.VisitNotFound, errors.AlreadyRated)
    def post(self, body, visit_id: int):
        """Rate a visit at a gas user you bound (`score`, a whole number 1–5, as reports are rated; once)

        Adds the rating (event `gas_visit_rated`). Visits a nobody-home call made cannot be rated."""
        return residents.rate(current_user(), visit_id, body["score"], body.get("comment"))


@blp.route("/my/visits")
class MyVisits(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, MyVisitSchema(many=True))
    def get(self):
        """The visits to the gas users I bound: planned (soonest first), then made (newest first, at most 100)

        Reads only. A visit made carries its outcome, its record's link, the hazards found with their notices'
        links, your score and whether you may rate it. Periodic inspection is free; an inspector never takes
        payment during a visit."""
        return residents.visits(current_user(), request.host_url)

