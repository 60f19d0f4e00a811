"""The desks and the case actions: 受理/立案, 派遣, 处置, 核查, 缓办, 延期."""

from __future__ import annotations

from datetime import datetime, time

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from api import exports
from api.access import current_user, requires
from api.assets.errors import ComponentNotFound
from api.cases import acceptance, deadlines, handling, present, queries, statistics
from api.cases.errors import (
    ActionNotAllowed,
    AfterPhotoRequired,
    CannotMergeIntoItself,
    CaseNotFound,
    CaseOutOfScope,
    CategoryRequired,
    CloseConditionUnmet,
    IllegalCaseTransition,
    OwnCheck,
)
from api.cases.schemas import (
    AcceptSchema,
    CaseDetailSchema,
    CasePageSchema,
    CasePhotoArgsSchema,
    CasePhotoSchema,
    CasePhotoUploadSchema,
    CaseReasonSchema,
    CaseResultSchema,
    CategorySetSchema,
    CheckSchema,
    CloseApprovalSchema,
    ComponentSetSchema,
    DeskArgsSchema,
    DispatchSchema,
    ExtensionSchema,
    HotlineCaseSchema,
    MergeSchema,
    PatrolCaseSchema,
    PrioritySchema,
    ReceiveSchema,
    RefuseSchema,
    ReturnSchema,
    StatisticsArgsSchema,
    StatisticsSchema,
    VerificationSchema,
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
from api.routing.errors import NoOwner, UnknownDepartment
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


def _action(rule: str, roles: tuple, schema, summary: str, changes: str, call, errors=()):
    """Register POST /cases/<id>/<rule> as one thin action endpoint (documented: who, what changes, errors)."""

    def post(self, body, case_id: int):
        return detail(call(current_user(), case_id, body))

    post.__doc__ = f"{summary}\n\n{changes}"
    view = type(f"Case{rule.title().replace('-', '')}", (MethodView,), {"post": post})
    decorated = requires(*roles)(blp.arguments(schema)(blp.response(200, CaseDetailSchema)(
        blp.errors(*CASE_ERRORS, *errors)(post))))
    view.post = decorated
    blp.route(f"/<int:case_id>/{rule}")(view)


class EmptySchema(ma.Schema):
    pass


_action("accept", (Role.INTAKE_CLERK,), AcceptSchema, "立案: accept a pending case (setting its 小类 if needed)",
        "待受理 → 待派遣 (event `accept`); the reporters are told (`citizen_remark`, or a default). `note` stays "
        "internal.",
        lambda u, c, b: acceptance.accept(u, c, b.get("category_code"), b.get("note"), b.get("citizen_remark")),
        (CategoryRequired, CategoryNotFound))
_action("refuse", (Role.INTAKE_CLERK,), RefuseSchema, "不予立案: refuse a pending case with a reason",
        "Ends the case (`refused`); the reporters read `citizen_remark` (or a plain default), never `reason`; a "
        "12345 case's answer is queued.",
        lambda u, c, b: acceptance.refuse(u, c, b["reason"], b.get("citizen_remark")))
_action("merge", (Role.INTAKE_CLERK,), MergeSchema, "Merge a duplicate into an open case; its reporters follow",
        "The case ends `merged`; its reports move to the target, whose supporters rise (3 → urgent).",
        lambda u, c, b: acceptance.merge(u, c, b["into_case_id"]), (CannotMergeIntoItself,))
_action("unmerge", (Role.INTAKE_CLERK,), CaseReasonSchema,
        "Undo a merge (by a person or the automatic duplicate check): the case's reports come back to it",
        "The case is pending again at the intake desk; the target's supporters fall back.",
        lambda u, c, b: acceptance.unmerge(u, c, b["reason"]))
_action("request-verification", (Role.INTAKE_CLERK,), EmptySchema,
        "Ask the nearest on-duty 监督员 to verify on site before 立案",
        "待受理 → 待核实; the task goes to the nearest on-duty supervisor, else the street's, else a district one, "
        "else the command centre's inbox (flagged); the event says who and why.",
        lambda u, c, b: acceptance.request_verification(u, c))
_action("verification", (Role.SUPERVISOR,), VerificationSchema, "Record the on-site 核实 (photos first)",
        "待核实 → 待受理 with the finding; the verification photos of round 0 are recorded with it.",
        lambda u, c, b: acceptance.record_verification(u, c, b["confirmed"], b.get("note")))
_action("category", (Role.INTAKE_CLERK, Role.DISPATCHER), CategorySetSchema, "Set or correct the 小类",
        "Files the case under the current version of the 小类 (event `category_set`); a safety 小类 makes it urgent.",
        lambda u, c, b: acceptance.set_category(u, c, b["category_code"]), (CategoryNotFound,))
_action("component", (Role.INTAKE_CLERK, Role.DISPATCHER, Role.SUPERVISOR), ComponentSetSchema,
        "Link the 部件 the case concerns (16-digit component code)", "Event `component_set`.",
        lambda u, c, b: acceptance.set_component(u, c, b["component_code"]), (ComponentNotFound,))
_action("priority", (Role.INTAKE_CLERK, Role.DISPATCHER, Role.COMMAND_CENTRE), PrioritySchema,
        "Set the priority with a reason", "Event `priority_set` with the old and new priority.",
        lambda u, c, b: acceptance.set_priority(u, c, b["priority"], b["reason"]))
_action("dispatch", (Role.DISPATCHER,), DispatchSchema,
        "派遣: to the department the 权责清单 names, or the one given; starts the 处置 clock",
        "待派遣 → 待处置: a work order for the department, a deadline on the 小类's clock, notices to its head and "
        "handlers, a progress message to the reporters.",
        lambda u, c, b: handling.dispatch(u, c, b.get("department_code")),
        (CategoryRequired, UnknownDepartment, NoOwner))
_action("receive", DEPT, ReceiveSchema, "Receive the work order and assign a handler (yourself by default)",
        "待处置 → 处置中; only the department holding the work order.",
        lambda u, c, b: handling.receive(u, c, b.get("handler_id")))
_action("return", DEPT, ReturnSchema, "回退 to the dispatch desk with a reason code",
        "Back to 待派遣; the work order ends `returned`; the dispatchers are told.",
        lambda u, c, b: handling.return_case(u, c, b["reason_code"], b["reason"]))
_action("result", DEPT, CaseResultSchema, "Submit the result (after-photos first when the 结案条件 needs them)",
        "处置中 → 待核查; only the holding department (once assigned, its handler or head). Each result round needs "
        "after-photos of its own; the 核查 task is assigned like a 核实.",
        lambda u, c, b: handling.submit_result(u, c, b["result_text"]), (AfterPhotoRequired,))
_action("check", (Role.SUPERVISOR,), CheckSchema, "核查: pass closes the case, fail sends it back (返工)",
        "Pass: 待核查 → 已结案, reporters told (`citizen_remark` or a default), 12345 answer queued — unless the "
        "case's source has a condition of its own (a gas hazard: a passed re-inspection; 409 CLOSE_CONDITION_UNMET). "
        "Where the office has the 值班长 approve 结案 (CLOSE_APPROVAL), a pass leads to 待结案审批 instead and the "
        "值班长 are told; nobody else is. Fail: back to 处置中, 返工 counted, the department told. `note` stays "
        "internal.",
        lambda u, c, b: handling.check(u, c, b["passed"], b.get("note"), b.get("citizen_remark")),
        (CloseConditionUnmet,))
_action("approve-close", (Role.SHIFT_LEAD,), CloseApprovalSchema, "结案: the 值班长 approves a passed 核查",
        "待结案审批 → 已结案 with everything closing does: the work order done, reporters told (`citizen_remark`, "
        "else the 核查's, else a default), the rating and reopen window opens, 12345 answer queued (the source's "
        "condition is asked again: 409 CLOSE_CONDITION_UNMET). `note` stays internal. Four eyes: a 核查 passed by "
        "the caller (one who holds both roles) is approved by another 值班长 (403 OWN_CHECK).",
        lambda u, c, b: handling.approve_close(u, c, b.get("note"), b.get("citizen_remark")),
        (CloseConditionUnmet, OwnCheck))
_action("reject-close", (Role.SHIFT_LEAD,), CaseReasonSchema, "Send a case back from 结案 approval, with a reason",
        "待结案审批 → 待核查: a supervisor is assigned to check again on site (a failed re-check is the 返工). The "
        "reason stays internal; the citizen hears nothing.",
        lambda u, c, b: handling.reject_close(u, c, b["reason"]))
_action("defer", (Role.DISPATCHER,), CaseReasonSchema, "缓办: pause the case with a reason",
        "The case waits as `deferred`; its earlier status is kept for resume.",
        lambda u, c, b: deadlines.defer(u, c, b["reason"]))
_action("resume", (Role.DISPATCHER,), EmptySchema, "Resume a deferred case where it was",
        "Back to the status before the deferral.", lambda u, c, b: deadlines.resume(u, c))
_action("extension-request", DEPT, ExtensionSchema, "Ask the dispatch desk for a later deadline",
        "Event `extension_requested`; the dispatchers are told. The deadline does not change yet.",
        lambda u, c, b: deadlines.request_extension(u, c, b["until"], b["reason"]))
_action("extend", (Role.DISPATCHER,), ExtensionSchema, "延期: approve a new deadline",
        "The deadline moves (event `extend`), the escalation level resets, the extension is counted.",
        lambda u, c, b: deadlines.extend(u, c, b["until"], b["reason"]))


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

        A department head sees their own department's row only.
        """
        start = datetime.combine(args["start"], time(), SHANGHAI)
        end = datetime.combine(args["end"], time(), SHANGHAI)
        if end <= start:
            raise BadPeriod()
        rows = statistics.evaluate(args["group_by"], start, end, utcnow())
        user = current_user()
        if Role.DEPT_HEAD in user.roles and not user.roles & {Role.COMMAND_CENTRE, Role.ADMIN}:
            rows = [r for r in rows if args["group_by"] == "department" and r.key == str(user.scope_department_id)]
        if args["format"] != "json":  # Chinese headers, exact rates, a totals row in Excel (api/exports.py)
            return exports.answer(args["format"], f"statistics-{args['group_by']}", statistics.SHEET,
                                  statistics.columns(args["group_by"]), statistics.as_dicts(rows))
        return {"group_by": args["group_by"], "start": args["start"], "end": args["end"], "as_of": utcnow(),
                "rows": rows}
