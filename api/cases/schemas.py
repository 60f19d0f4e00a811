"""Case engine schemas."""

import marshmallow as ma
from marshmallow import validate

from api.cases.lifecycle import CaseStatus
from api.cases.models import PRIORITIES, SOURCES
from api.cases.queries import DESKS
from api.paging import PageArgs
from api.reports.schemas import LocationOutSchema, not_blank
from api.timefmt import LocalDateTime

CATEGORY_CODE = validate.Regexp(r"^(event|component):\d{2}-\d{2}$")
REASON = validate.And(validate.Length(min=2, max=500), not_blank)
REMARK = validate.And(validate.Length(min=2, max=200), not_blank)
RETURN_CODES = ("not_our_responsibility", "wrong_location", "cannot_handle", "duplicate", "other")


class DeskArgsSchema(PageArgs):
    desk = ma.fields.String(required=True, validate=validate.OneOf(tuple(DESKS)))
    street_code = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"))
    grid_code = ma.fields.String(validate=validate.Regexp(r"^\d{15}$"))
    category_code = ma.fields.String(validate=CATEGORY_CODE)
    source = ma.fields.String(validate=validate.OneOf(SOURCES))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    created_from = ma.fields.AwareDateTime(default_timezone=None)
    created_to = ma.fields.AwareDateTime(default_timezone=None)
    case_no = ma.fields.String(validate=validate.Regexp(r"^\s*[Aa][Jj]\d{8}\d{7,12}\s*$"),
                               metadata={"description": "Find one case by its number (AJ + date + id), on any desk"})


class WorkOrderSchema(ma.Schema):
    id = ma.fields.Integer()
    department_id = ma.fields.Integer()
    department_name = ma.fields.String(allow_none=True)
    handler_id = ma.fields.Integer(allow_none=True)
    handler_name = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["open", "returned", "done"]})
    routing_basis = ma.fields.String(metadata={"enum": ["street_rule", "district_rule", "territorial", "manual"]})
    return_reason_code = ma.fields.String(allow_none=True)
    return_reason = ma.fields.String(allow_none=True)
    dispatched_at = LocalDateTime()
    received_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)


class CaseEventSchema(ma.Schema):
    action = ma.fields.String()
    actor_type = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True)
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    payload = ma.fields.Dict()
    created_at = LocalDateTime()
    actor_name = ma.fields.String(allow_none=True, metadata={
        "description": "Who acted: a staff member's name, 系统 for the system, a citizen's nickname (else their "
                       "openid masked), a device's registered name"})


class ReporterSchema(ma.Schema):
    report_id = ma.fields.Integer()
    report_no = ma.fields.String()
    submitted_at = LocalDateTime(allow_none=True)
    reporter_id = ma.fields.Integer()
    reporter_name = ma.fields.String(allow_none=True, metadata={
        "description": "The nickname the citizen gave (PUT /me/profile), else their openid masked (o6_b****Wx1Q)"})
    contact_phone = ma.fields.String(allow_none=True, metadata={
        "description": "The phone the citizen gave on this report, if any: whole for intake clerks, the command "
                       "centre and supervisors (who call back); masked (138****5678) for every other role"})
    contact_phone_masked = ma.fields.Boolean()


class ComponentSetSchema(ma.Schema):
    component_code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{16}$"))


class SuggestionSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    score = ma.fields.Float()


class CaseSchema(ma.Schema):
    id = ma.fields.Integer()
    case_no = ma.fields.String()
    source = ma.fields.String(metadata={"enum": list(SOURCES)})
    external_ticket_no = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": [str(s) for s in CaseStatus]})
    category_code = ma.fields.String(allow_none=True)
    category_name = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    address_text = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(metadata={"description": "WGS-84 (also in location)"})
    lon = ma.fields.Float(metadata={"description": "WGS-84 (also in location)"})
    location = ma.fields.Nested(LocationOutSchema)
    grid_code = ma.fields.String(allow_none=True)
    grid_name = ma.fields.String(allow_none=True)
    community_code = ma.fields.String(allow_none=True)
    community_name = ma.fields.String(allow_none=True)
    street_code = ma.fields.String(allow_none=True)
    street_name = ma.fields.String(allow_none=True)
    priority = ma.fields.String(metadata={"enum": list(PRIORITIES)})
    supporters = ma.fields.Integer()
    department_id = ma.fields.Integer(allow_none=True)
    department_name = ma.fields.String(allow_none=True)
    handler_id = ma.fields.Integer(allow_none=True)
    handler_name = ma.fields.String(allow_none=True)
    photo_count = ma.fields.Integer(metadata={"description": "Photos of every kind on the case"})
    thumbnail_url = ma.fields.String(allow_none=True, metadata={"description": "The first photo's thumbnail "
                                                                               "(signed, expiring)"})
    result_round = ma.fields.Integer(metadata={"description": "Results submitted so far"})
    reopen_count = ma.fields.Integer()
    dispatched_at = LocalDateTime(allow_none=True)
    deadline_at = LocalDateTime(allow_none=True)
    deadline_provisional = ma.fields.Boolean()
    escalation_level = ma.fields.Integer()
    rework_count = ma.fields.Integer()
    extension_count = ma.fields.Integer()
    result_text = ma.fields.String(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    checked_at = LocalDateTime(allow_none=True, metadata={
        "description": "When the latest 核查 passed: the 处置 ends here (with 结案 approval, before closed_at)"})
    created_at = LocalDateTime()
    remaining_seconds = ma.fields.Integer(allow_none=True, metadata={"description": "On the category's clock; "
                                                                                    "negative when overdue"})
    component_code = ma.fields.String(allow_none=True)
    triage_reason = ma.fields.String(allow_none=True, metadata={
        "description": "Why the automatic intake left this case to a person (cleared by the first person's action)"})
    suggestions = ma.fields.List(ma.fields.Nested(SuggestionSchema), allow_none=True, metadata={
        "description": "The classifier's top-3 小类 with scores"})


class HotlineAnswerSchema(ma.Schema):
    external_ticket_no = ma.fields.String()
    outcome = ma.fields.String()
    result = ma.fields.String(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)


class EvidencePhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": ["report_photo", "camera_snapshot", "after_photo",
                                               "verification_photo"]})
    round = ma.fields.Integer(metadata={"description": "After-photos: the result round they belong to; "
                                                       "verification photos: the round checked (0: the 核实)"})
    report_id = ma.fields.Integer(allow_none=True, metadata={"description": "A citizen's photo: their report"})
    uploader_type = ma.fields.String(metadata={"enum": ["citizen", "staff", "device"]})
    uploaded_by = ma.fields.Integer(allow_none=True)
    uploader_name = ma.fields.String(allow_none=True, metadata={"description": "Staff uploaders only"})
    created_at = LocalDateTime()
    captured_at = LocalDateTime(allow_none=True)
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    content_check = ma.fields.String()
    urls = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                          metadata={"description": "Expiring links: original, display, thumb"})
    capture_location = ma.fields.Nested(LocationOutSchema, allow_none=True, metadata={
        "description": "Where the photo was taken (its EXIF GPS, read before stripping); null when it had none"})
    capture_distance_m = ma.fields.Integer(allow_none=True, metadata={
        "description": "Metres from the case's reported point to the capture place"})
    capture_place = ma.fields.String(metadata={"description": "For staff to read: 距上报位置约 35 米, or 无拍摄位置"})


class CaseDetailSchema(CaseSchema):
    reporters = ma.fields.List(ma.fields.Nested(ReporterSchema), metadata={
        "description": "Each report on the case, oldest first: who reported it, when, and how to call them back"})
    photos = ma.fields.List(ma.fields.Nested(EvidencePhotoSchema))
    report_ids = ma.fields.List(ma.fields.Integer())
    flagged_report_ids = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Reports whose content the security check flagged for review (or could not check)"})
    content_check_pending_report_ids = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Reports whose text or photos WeChat's content check has not judged yet"})
    work_orders = ma.fields.List(ma.fields.Nested(WorkOrderSchema))
    events = ma.fields.List(ma.fields.Nested(CaseEventSchema))
    hotline_answer = ma.fields.Nested(HotlineAnswerSchema, allow_none=True,
                                      metadata={"description": "For 12345 cases once ended: the answer to send back"})


class CasePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer(metadata={"description": "Exact up to 1,000"})
    total_is_lower_bound = ma.fields.Boolean(metadata={"description": "True when more than 1,000 match"})


NOTE = {"description": "Internal: staff see it in the case history; it never reaches the citizen"}
CITIZEN_REMARK = {"description": "What the citizen reads on their timeline and in the progress message; public too "
                                  "on an accepted case (Open311 status_notes, phone and ID numbers masked): nothing "
                                  "personal"}


class AcceptSchema(ma.Schema):
    category_code = ma.fields.String(validate=CATEGORY_CODE)
    note = ma.fields.String(validate=validate.Length(max=500), metadata=NOTE)
    citizen_remark = ma.fields.String(validate=REMARK, metadata=CITIZEN_REMARK)


class CaseReasonSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=REASON)


class RefuseSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=REASON, metadata=NOTE)
    citizen_remark = ma.fields.String(validate=REMARK, metadata=CITIZEN_REMARK)


class MergeSchema(ma.Schema):
    into_case_id = ma.fields.Integer(required=True)


class VerificationSchema(ma.Schema):
    confirmed = ma.fields.Boolean(required=True, metadata={"description": "The problem is there as reported"})
    note = ma.fields.String(validate=validate.Length(max=500), metadata=NOTE)


class CategorySetSchema(ma.Schema):
    category_code = ma.fields.String(required=True, validate=CATEGORY_CODE)


class PrioritySchema(ma.Schema):
    priority = ma.fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    reason = ma.fields.String(required=True, validate=REASON)


class DispatchSchema(ma.Schema):
    department_code = ma.fields.String(validate=validate.Length(min=1, max=32),
                                       metadata={"description": "Omit to use the 权责清单"})


class ReceiveSchema(ma.Schema):
    handler_id = ma.fields.Integer(metadata={"description": "Omit to take it yourself"})


class ReturnSchema(ma.Schema):
    reason_code = ma.fields.String(required=True, validate=validate.OneOf(RETURN_CODES))
    reason = ma.fields.String(required=True, validate=REASON)


class CaseResultSchema(ma.Schema):
    result_text = ma.fields.String(required=True, validate=validate.And(validate.Length(min=2, max=2000), not_blank),
                                   metadata={"description": "The outcome; the citizen reads it once the case closes"})


class CheckSchema(ma.Schema):
    passed = ma.fields.Boolean(required=True)
    note = ma.fields.String(validate=validate.Length(max=500), metadata=NOTE)
    citizen_remark = ma.fields.String(validate=REMARK, metadata={
        "description": "With a pass: what the citizen reads (a fail stays internal)"})


class CloseApprovalSchema(ma.Schema):
    note = ma.fields.String(validate=validate.Length(max=500), metadata=NOTE)
    citizen_remark = ma.fields.String(validate=REMARK, metadata={
        "description": "What the citizen reads (default: the 核查's remark, else a plain default)"})


def _ahead_within_a_year(value) -> None:
    """A new deadline lies ahead, and within a year (a year-0001 or 9999 value never reaches UTC arithmetic)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    try:
        ahead = now < value <= now + timedelta(days=366)
    except OverflowError:
        ahead = False
    if not ahead:
        raise ma.ValidationError("The new deadline must be later than now and within a year.")


class ExtensionSchema(ma.Schema):
    until = ma.fields.AwareDateTime(required=True, default_timezone=None, validate=_ahead_within_a_year)
    reason = ma.fields.String(required=True, validate=REASON)


class CasePhotoArgsSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(("report_photo", "after_photo",
                                                                    "verification_photo")))


class StaffCaseSchema(ma.Schema):
    description = ma.fields.String(required=True, validate=REASON)
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = ma.fields.String(load_default="gcj02", validate=validate.OneOf(("gcj02", "wgs84")))
    address_text = ma.fields.String(validate=validate.Length(max=200))


class PatrolCaseSchema(StaffCaseSchema):
    category_code = ma.fields.String(required=True, validate=CATEGORY_CODE)


class HotlineCaseSchema(StaffCaseSchema):
    external_ticket_no = ma.fields.String(required=True, validate=validate.Length(min=4, max=40),
                                          metadata={"description": "The 12345 work-order number"})
    category_code = ma.fields.String(validate=CATEGORY_CODE)


class CasePhotoUploadSchema(ma.Schema):
    photo = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class CasePhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    round = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    created_at = LocalDateTime()
    urls = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                          metadata={"description": "Expiring links: original, display, thumb"})


class StatisticsArgsSchema(ma.Schema):
    group_by = ma.fields.String(required=True, validate=validate.OneOf(("street", "department", "person")))
    start = ma.fields.Date(required=True, data_key="from", metadata={"description": "First day (Asia/Shanghai)"})
    end = ma.fields.Date(required=True, data_key="to", metadata={"description": "Day after the last (exclusive)"})
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")), metadata={
        "description": "csv or xlsx: a download with Chinese headers (English with Accept-Language: en)"})


class StatisticsRowSchema(ma.Schema):
    key = ma.fields.String(allow_none=True, metadata={"description": "street code, department id or user id"})
    name = ma.fields.String(allow_none=True, metadata={"description": "the street's, department's or person's name"})
    received = ma.fields.Integer(metadata={"description": "受理数"})
    accepted = ma.fields.Integer(metadata={"description": "立案数"})
    dispatched = ma.fields.Integer(metadata={"description": "派遣数"})
    due = ma.fields.Integer()
    deferred = ma.fields.Integer(metadata={"description": "缓办数"})
    should_close = ma.fields.Integer(metadata={"description": "应结案数"})
    closed = ma.fields.Integer(metadata={"description": "结案数"})
    closed_on_time = ma.fields.Integer(metadata={"description": "按期结案数"})
    overdue = ma.fields.Integer(metadata={"description": "超期数"})
    extended = ma.fields.Integer()
    checks = ma.fields.Integer()
    checks_failed = ma.fields.Integer()
    ratings = ma.fields.Integer()
    mean_handling_hours = ma.fields.Float(allow_none=True)
    close_rate = ma.fields.Float(allow_none=True, metadata={"description": "结案率"})
    on_time_rate = ma.fields.Float(allow_none=True, metadata={"description": "按期结案率"})
    rework_rate = ma.fields.Float(allow_none=True, metadata={"description": "返工率"})
    extension_rate = ma.fields.Float(allow_none=True, metadata={"description": "延期率"})
    satisfaction = ma.fields.Float(allow_none=True, metadata={"description": "满意度 (mean 1–5)"})


class StatisticsSchema(ma.Schema):
    group_by = ma.fields.String()
    start = ma.fields.Date(data_key="from")
    end = ma.fields.Date(data_key="to")
    as_of = LocalDateTime()
    rows = ma.fields.List(ma.fields.Nested(StatisticsRowSchema))
