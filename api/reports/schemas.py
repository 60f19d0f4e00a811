"""Draft request and response schemas (the views that need the case are the citizen view's)."""

import marshmallow as ma
from marshmallow import validate

from api.i18n import N_
from api.reports import contact
from api.reports.categories import CATEGORIES
from api.timefmt import LocalDateTime


class LocationInSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = ma.fields.String(load_default="gcj02", validate=validate.OneOf(("gcj02", "wgs84")),
                                    metadata={"description": "wx.getLocation gives gcj02 by default"})


def not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("May not be blank.")


class ContactPhone(ma.fields.String):
    """A mainland mobile or landline number, loaded in its stored form (api/reports/contact.py)."""

    default_error_messages = {"phone": N_("Not a mainland China phone number: give a mobile such as 13812345678 "
                                          "or a landline such as 020-12345678.")}

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, metadata={
            "description": "Optional: a mobile or landline the office may call back on (staff who do not call "
                           "citizens see it masked, 138****5678)", "example": "13812345678"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        phone = contact.normalise(text) if len(text) <= 32 else None
        if phone is None:
            raise self.make_error("phone")
        return phone


class CreateReportSchema(ma.Schema):
    description = ma.fields.String(required=True, validate=validate.And(validate.Length(min=2, max=500), not_blank))
    location = ma.fields.Nested(LocationInSchema, required=True)
    category_hint = ma.fields.String(validate=validate.OneOf([c.key for c in CATEGORIES]), allow_none=True)
    address_text = ma.fields.String(validate=validate.Length(max=200), allow_none=True)
    contact_phone = ContactPhone()


class UpdateDraftSchema(ma.Schema):
    """What a citizen may still change on a draft (at least one field); the text is checked again."""

    description = ma.fields.String(validate=validate.And(validate.Length(min=2, max=500), not_blank))
    location = ma.fields.Nested(LocationInSchema)
    category_hint = ma.fields.String(validate=validate.OneOf([c.key for c in CATEGORIES]), allow_none=True)
    address_text = ma.fields.String(validate=validate.Length(max=200), allow_none=True)
    contact_phone = ContactPhone()

    @ma.validates_schema
    def _something(self, data, **_):
        if not data:
            raise ma.ValidationError("Change at least one of description, location, category_hint, address_text, "
                                     "contact_phone.")


class IdempotencyHeaderSchema(ma.Schema):
    idempotency_key = ma.fields.String(data_key="Idempotency-Key", validate=validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$"),
                                       metadata={"description": "Repeat a create safely: the same key answers "
                                                                "200 with the original report"})

    class Meta:
        unknown = ma.EXCLUDE


class PhotoUploadSchema(ma.Schema):
    photo = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})







class PointSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class LocationOutSchema(ma.Schema):
    wgs84 = ma.fields.Nested(PointSchema)
    gcj02 = ma.fields.Nested(PointSchema, metadata={"description": "For the mini-program's map"})


class PhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    content_type = ma.fields.String()
    captured_at = LocalDateTime(allow_none=True)
    refused = ma.fields.Boolean(metadata={"description": "WeChat's image check judged it risky: remove it to submit"})
    urls = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                          metadata={"description": "Expiring links: original, display, thumb"})




class ReportSchema(ma.Schema):
    id = ma.fields.Integer()
    report_no = ma.fields.String()
    case_no = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "Citizen-facing status code (api/citizen/status.py)"})
    status_label = ma.fields.String()
    description = ma.fields.String()
    category_hint = ma.fields.String(allow_none=True)
    category_label = ma.fields.String(allow_none=True)
    address_text = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True, metadata={"description": "The phone you gave (yours only)"})
    location = ma.fields.Nested(LocationOutSchema)
    text_refused = ma.fields.Boolean(metadata={"description": "WeChat's content check refused the text: correct it "
                                                              "(PATCH /reports/{id}) before submitting"})
    created_at = LocalDateTime()
    submitted_at = LocalDateTime(allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))






class CitizenCategorySchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    gbt_hints = ma.fields.List(ma.fields.String())
