"""The desks and the case actions: 受理/立案, 派遣, 处置, 核查, 缓办, 延期."""

from __future__ import annotations

from datetime import datetime, time

from flask import current_app, request
from flask.views import MethodView

from api import exports
from api.access import current_user, requires
from api.cases import acceptance, actions, handling, present, queries, statistics
from api.cases.errors import (
    ActionNotAllowed,
    CaseNotFound,
    CaseOutOfScope,
    IllegalCaseTransition,
)
from api.cases.schemas import (
    CaseDetailSchema,
    CasePageSchema,
    CasePhotoArgsSchema,
    CasePhotoSchema,
    CasePhotoUploadSchema,
    DeskArgsSchema,
    HotlineCaseSchema,
    PatrolCaseSchema,
    StatisticsArgsSchema,
    StatisticsSchema,
)
from api.db import utcnow
from api.errors import BadRequest, ConcurrentUpdate
from api.extensions import Blueprint
from api.media import service as media
from api.media import uploads
from api.media.errors import (
    NotAnImage,
    PhotoCorrupt,
    PhotoFormatUnsupported,
    PhotoMissing,
    PhotoTooLarge,
    PhotoTooManyPixels,
)
from api.media.models import MediaKind
from api.organisation.errors import LocationOutsideDistrict
from api.roles import STAFF_ROLES, Role
from api.taxonomy.errors import CategoryNotFound
from api.timefmt import SHANGHAI

blp = Blueprint("cases", __name__, url_prefix="/cases",
                description="Cases through 受理 → 立案 → 派遣 → 处置 → 核查 → 结案, the desks, deadlines")
STAFF = tuple(STAFF_ROLES)
DEPT = (Role.DEPT_HEAD, Role.DEPT_HANDLER)
blp.before_request(uploads.refuse_oversized_photo)


def listed_page(cases) -> list[dict]:
    return present.listed(cases, request.host_url)


def detail(case) -> dict:
    return present.detail(case, request.host_url, current_user())


@blp.route("")
class Desks(MethodView):
    @requires(*STAFF)
    @blp.arguments(DeskArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args):
        """A desk's work list within the caller's scope, newest first (overdue: longest overdue first)

        Desks: intake (待受理/待核实), dispatch (待派遣), department (待处置/处置中), mine (my assignments),
        verification (待核查), close_approval (待结案审批, the 值班长's), deferred, overdue, closed. Filters: street,
        grid, category, source, priority, dates, and `case_no` — the case's number (AJ…), found on whichever desk it
        is (an empty page on the others).
        """
        query = queries.desk(current_user(), args["desk"], args, utcnow())
        items, total, more = queries.page_of(query, args["page"], args["page_size"], queries.order_for(args["desk"]))
        return {"items": listed_page(items), "page": args["page"], "page_size": args["page_size"],
                "total": total, "total_is_lower_bound": more}


@blp.route("/patrol")
class PatrolCases(MethodView):
    @requires(Role.SUPERVISOR)
    @blp.arguments(PatrolCaseSchema)
    @blp.response(201, CaseDetailSchema)
    @blp.errors(CategoryNotFound, LocationOutsideDistrict)
    def post(self, body):
        """A 监督员's patrol report: accepted (立案) on creation; add photos with kind=report_photo

        Opens a case (source `patrol`) already at the dispatch desk (events `opened`, `accept`).
        """
        return detail(acceptance.open_by_staff(current_user(), "patrol", body))


@blp.route("/hotline")
class HotlineCases(MethodView):
    @requires(Role.INTAKE_CLERK)
    @blp.arguments(HotlineCaseSchema)
    @blp.response(201, CaseDetailSchema)
    @blp.errors(CategoryNotFound, LocationOutsideDistrict)
    def post(self, body):
        """A 12345 hotline transfer with its ticket number; waits at the intake desk, answered when it ends

        Opens a case (source `hotline`) at the intake desk; the intake clerks in scope are told. When it ends its
        answer is POSTed to the 12345 platform.
        """
        return detail(acceptance.open_by_staff(current_user(), "hotline", body))


@blp.route("/<int:case_id>")
class CaseById(MethodView):
    @requires(*STAFF)
    @blp.response(200, CaseDetailSchema)
    @blp.errors(CaseNotFound, CaseOutOfScope)
    def get(self, case_id: int):
        """A case with its remaining time, reports, work orders, every photo and full event history

        Names beside ids, the point in WGS-84 and GCJ-02, every photo (citizens', device snapshots, after-photos
        per round, verification photos) with signed, expiring links. Within the caller's scope. Changes nothing.
        """
        return detail(queries.get_for_staff(current_user(), case_id))


CASE_ERRORS = (CaseNotFound, CaseOutOfScope, IllegalCaseTransition, ActionNotAllowed, ConcurrentUpdate)


def _action(action: actions.Action):
    """Register POST /cases/<id>/<name> as one thin action endpoint (documented: who, what changes, errors)."""

    def post(self, body, case_id: int):
        return detail(actions.take(current_user(), case_id, action, body))

    post.__doc__ = f"{action.summary}\n\n{action.changes}"
    view = type(f"Case{action.name.title().replace('-', '')}", (MethodView,), {"post": post})
    view.post = requires(*action.roles)(blp.arguments(action.schema)(blp.response(200, CaseDetailSchema)(
        blp.errors(*CASE_ERRORS, *action.errors)(post))))
    blp.route(f"/<int:case_id>/{action.name}")(view)


for _each in actions.ACTIONS:  # the table (api/cases/actions.py) is shared with the staff console
    _action(_each)


@blp.route("/<int:case_id>/photos")
class CasePhotos(MethodView):
    @requires(Role.DEPT_HEAD, Role.DEPT_HANDLER, Role.SUPERVISOR)
    @blp.arguments(CasePhotoArgsSchema, location="query")
    @blp.arguments(CasePhotoUploadSchema, location="files")
    @blp.response(201, CasePhotoSchema)
    @blp.errors(*CASE_ERRORS, PhotoMissing, PhotoTooLarge, NotAnImage, PhotoFormatUnsupported, PhotoTooManyPixels,
                PhotoCorrupt)
    def post(self, args, files, case_id: int):
        """Attach an after-photo (department) or a verification photo (监督员), multipart field `photo`

        After-photos: only the department holding the work order (once assigned, its handler or head), for the
        result being prepared (`round`). Verification photos: a supervisor at a 核实 (round 0) or a 核查 (the
        round checked). A patrol's own report photos: the supervisor who opened it. Event `photo_attached`.
        """
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        item = handling.add_photo(current_user(), case_id, raw, MediaKind(args["kind"]))
        return {"id": item.id, "kind": item.kind, "round": item.round, "width": item.width, "height": item.height,
                "created_at": item.created_at, "urls": media.links(item, request.host_url)}


class BadPeriod(BadRequest):
    code, message = "BAD_PERIOD", "`to` must be after `from`."


stats_blp = Blueprint("statistics", __name__, url_prefix="/statistics",
                      description="Evaluation (综合评价) per street, department and person; CSV export")


@stats_blp.route("")
class Statistics(MethodView):
    @requires(Role.COMMAND_CENTRE, Role.ADMIN, Role.DEPT_HEAD)
    @stats_blp.arguments(StatisticsArgsSchema, location="query")
    @stats_blp.response(200, StatisticsSchema)
    @stats_blp.alt_response(200, content_type="text/csv", description="format=csv")
    @stats_blp.alt_response(200, content_type=exports.MEDIA["xlsx"], description="format=xlsx")
    @stats_blp.errors(BadPeriod)
    def get(self, args):
        """受理数, 立案数, 派遣数, 结案数, 结案率, 按期结案率, 返工率, 延期率, 超期数, handling time, satisfaction

        A department's staff (a department head) see their own department's row only; a street's staff their
        street's row only.
        """
        start = datetime.combine(args["start"], time(), SHANGHAI)
        end = datetime.combine(args["end"], time(), SHANGHAI)
        if end <= start:
            raise BadPeriod()
        rows = statistics.visible(current_user(), args["group_by"],
                                  statistics.evaluate(args["group_by"], start, end, utcnow()))
        if args["format"] != "json":  # Chinese headers, exact rates, a totals row in Excel (api/exports.py)
            return exports.answer(args["format"], f"statistics-{args['group_by']}", statistics.SHEET,
                                  statistics.columns(args["group_by"]), statistics.as_dicts(rows))
        return {"group_by": args["group_by"], "start": args["start"], "end": args["end"], "as_of": utcnow(),
                "rows": rows}
