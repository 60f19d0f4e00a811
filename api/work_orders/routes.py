"""The desks and the case actions: 受理/立案, 派遣, 处置, 核查, 缓办, 延期."""

from __future__ import annotations

from datetime import datetime, time

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView

from api.db import utcnow
from api.errors import BadRequest
from api.extensions import Blueprint
from api.identity.access import current_user, requires
from api.identity.roles import STAFF_ROLES, Role
from api.media import service as media
from api.media import uploads
from api.media.models import MediaKind
from api.timefmt import SHANGHAI
from api.work_orders import present, queries, service, statistics
from api.work_orders.schemas import (
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

blp = Blueprint("cases", __name__, url_prefix="/cases",
                description="Cases through 受理 → 立案 → 派遣 → 处置 → 核查 → 结案, the desks, deadlines")
STAFF = tuple(STAFF_ROLES)
DEPT = (Role.DEPT_HEAD, Role.DEPT_HANDLER)
blp.before_request(uploads.refuse_oversized_photo)


def listed_page(cases) -> list[dict]:
    return present.listed(cases, request.host_url)


def detail(case) -> dict:
    return present.detail(case, request.host_url)


@blp.route("")
class Desks(MethodView):
    @requires(*STAFF)
    @blp.arguments(DeskArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    @blp.errors(400)
    def get(self, args):
        """A desk's work list within the caller's scope, newest first (overdue: longest overdue first)

        Desks: intake (待受理/待核实), dispatch (待派遣), department (待处置/处置中), mine (my assignments),
        verification (待核查), deferred, overdue, closed. Filters: street, grid, category, source, priority, dates.
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
    @blp.errors(400, 404, 422)
    def post(self, body):
        """A 监督员's patrol report: accepted (立案) on creation; add photos with kind=report_photo"""
        return detail(service.open_by_staff(current_user(), "patrol", body))


@blp.route("/hotline")
class HotlineCases(MethodView):
    @requires(Role.INTAKE_CLERK)
    @blp.arguments(HotlineCaseSchema)
    @blp.response(201, CaseDetailSchema)
    @blp.errors(400, 404, 422)
    def post(self, body):
        """A 12345 hotline transfer with its ticket number; waits at the intake desk, answered when it ends"""
        return detail(service.open_by_staff(current_user(), "hotline", body))


@blp.route("/<int:case_id>")
class CaseById(MethodView):
    @requires(*STAFF)
    @blp.response(200, CaseDetailSchema)
    @blp.errors(403, 404)
    def get(self, case_id: int):
        """A case with its remaining time, reports, work orders and full event history"""
        return detail(queries.get_for_staff(current_user(), case_id))


def _action(rule: str, roles: tuple, schema, summary: str, call, statuses=(400, 404, 409)):
    """Register POST /cases/<id>/<rule> as one thin action endpoint."""

    def post(self, body, case_id: int):
        return detail(call(current_user(), case_id, body))

    post.__doc__ = summary
    view = type(f"Case{rule.title().replace('-', '')}", (MethodView,), {"post": post})
    decorated = requires(*roles)(blp.arguments(schema)(blp.response(200, CaseDetailSchema)(
        blp.errors(*statuses)(post))))
    view.post = decorated
    blp.route(f"/<int:case_id>/{rule}")(view)


class EmptySchema(ma.Schema):
    pass


_action("accept", (Role.INTAKE_CLERK,), AcceptSchema, "立案: accept a pending case (setting its 小类 if needed)",
        lambda u, c, b: service.accept(u, c, b.get("category_code"), b.get("note"), b.get("citizen_remark")))
_action("refuse", (Role.INTAKE_CLERK,), RefuseSchema, "不予立案: refuse a pending case with a reason",
        lambda u, c, b: service.refuse(u, c, b["reason"], b.get("citizen_remark")))
_action("merge", (Role.INTAKE_CLERK,), MergeSchema, "Merge a duplicate into an open case; its reporters follow",
        lambda u, c, b: service.merge(u, c, b["into_case_id"]))
_action("unmerge", (Role.INTAKE_CLERK,), CaseReasonSchema,
        "Undo a merge (by a person or the automatic duplicate check): the case's reports come back to it",
        lambda u, c, b: service.unmerge(u, c, b["reason"]))
_action("request-verification", (Role.INTAKE_CLERK,), EmptySchema,
        "Ask the nearest on-duty 监督员 to verify on site before 立案",
        lambda u, c, b: service.request_verification(u, c))
_action("verification", (Role.SUPERVISOR,), VerificationSchema, "Record the on-site 核实 (photos first)",
        lambda u, c, b: service.record_verification(u, c, b["confirmed"], b.get("note")))
_action("category", (Role.INTAKE_CLERK, Role.DISPATCHER), CategorySetSchema, "Set or correct the 小类",
        lambda u, c, b: service.set_category(u, c, b["category_code"]))
_action("component", (Role.INTAKE_CLERK, Role.DISPATCHER, Role.SUPERVISOR), ComponentSetSchema,
        "Link the 部件 the case concerns (16-digit component code)",
        lambda u, c, b: service.set_component(u, c, b["component_code"]))
_action("priority", (Role.INTAKE_CLERK, Role.DISPATCHER, Role.COMMAND_CENTRE), PrioritySchema,
        "Set the priority with a reason", lambda u, c, b: service.set_priority(u, c, b["priority"], b["reason"]))
_action("dispatch", (Role.DISPATCHER,), DispatchSchema,
        "派遣: to the department the 权责清单 names, or the one given; starts the 处置 clock",
        lambda u, c, b: service.dispatch(u, c, b.get("department_code")))
_action("receive", DEPT, ReceiveSchema, "Receive the work order and assign a handler (yourself by default)",
        lambda u, c, b: service.receive(u, c, b.get("handler_id")))
_action("return", DEPT, ReturnSchema, "回退 to the dispatch desk with a reason code",
        lambda u, c, b: service.return_case(u, c, b["reason_code"], b["reason"]))
_action("result", DEPT, CaseResultSchema, "Submit the result (after-photos first when the 结案条件 needs them)",
        lambda u, c, b: service.submit_result(u, c, b["result_text"]))
_action("check", (Role.SUPERVISOR,), CheckSchema, "核查: pass closes the case, fail sends it back (返工)",
        lambda u, c, b: service.check(u, c, b["passed"], b.get("note"), b.get("citizen_remark")))
_action("defer", (Role.DISPATCHER,), CaseReasonSchema, "缓办: pause the case with a reason",
        lambda u, c, b: service.defer(u, c, b["reason"]))
_action("resume", (Role.DISPATCHER,), EmptySchema, "Resume a deferred case where it was",
        lambda u, c, b: service.resume(u, c))
_action("extension-request", DEPT, ExtensionSchema, "Ask the dispatch desk for a later deadline",
        lambda u, c, b: service.request_extension(u, c, b["until"], b["reason"]))
_action("extend", (Role.DISPATCHER,), ExtensionSchema, "延期: approve a new deadline",
        lambda u, c, b: service.extend(u, c, b["until"], b["reason"]))


@blp.route("/<int:case_id>/photos")
class CasePhotos(MethodView):
    @requires(Role.DEPT_HEAD, Role.DEPT_HANDLER, Role.SUPERVISOR)
    @blp.arguments(CasePhotoArgsSchema, location="query")
    @blp.arguments(CasePhotoUploadSchema, location="files")
    @blp.response(201, CasePhotoSchema)
    @blp.errors(400, 403, 404, 413, 415, 422)
    def post(self, args, files, case_id: int):
        """Attach an after-photo (department) or a verification photo (监督员), multipart field `photo`"""
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        item = service.add_photo(current_user(), case_id, raw, MediaKind(args["kind"]))
        return {"id": item.id, "kind": item.kind, "round": item.round, "width": item.width, "height": item.height,
                "created_at": item.created_at, "urls": media.links(item, request.host_url)}


stats_blp = Blueprint("statistics", __name__, url_prefix="/statistics",
                      description="Evaluation (综合评价) per street, department and person; CSV export")


@stats_blp.route("")
class Statistics(MethodView):
    @requires(Role.COMMAND_CENTRE, Role.ADMIN, Role.DEPT_HEAD)
    @stats_blp.arguments(StatisticsArgsSchema, location="query")
    @stats_blp.response(200, StatisticsSchema)
    @stats_blp.alt_response(200, content_type="text/csv", description="format=csv")
    @stats_blp.errors(400)
    def get(self, args):
        """受理数, 立案数, 派遣数, 结案数, 结案率, 按期结案率, 返工率, 延期率, 超期数, handling time, satisfaction

        A department head sees their own department's row only.
        """
        start = datetime.combine(args["start"], time(), SHANGHAI)
        end = datetime.combine(args["end"], time(), SHANGHAI)
        if end <= start:
            raise BadRequest("`to` must be after `from`", code="BAD_PERIOD")
        rows = statistics.evaluate(args["group_by"], start, end, utcnow())
        user = current_user()
        if Role.DEPT_HEAD in user.roles and not user.roles & {Role.COMMAND_CENTRE, Role.ADMIN}:
            rows = [r for r in rows if args["group_by"] == "department" and r.key == str(user.scope_department_id)]
        if args["format"] == "csv":
            name = f"statistics-{args['group_by']}-{args['start']}-{args['end']}.csv"
            return Response("\ufeff" + statistics.to_csv(rows), mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename={name}"})
        return {"group_by": args["group_by"], "start": args["start"], "end": args["end"], "as_of": utcnow(),
                "rows": rows}
