"""Identity request/response schemas."""

import marshmallow as ma
from marshmallow import validate

from api.roles import STAFF_ROLES
from api.timefmt import LocalDateTime


class WeChatLoginSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=128),
                            metadata={"description": "The code from wx.login()"})


class StaffLoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    display_name = ma.fields.String()
    nickname = ma.fields.String(allow_none=True, metadata={"description": "A citizen's own (PUT /me/profile)"})
    roles = ma.fields.Function(lambda u: sorted(str(r) for r in u.roles))
    scope_division_code = ma.fields.String(allow_none=True)
    scope_department_id = ma.fields.Integer(allow_none=True)


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.Constant("Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "Seconds until the token expires"})
    user = ma.fields.Nested(UserSchema)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("May not be blank.")


class ProfileSchema(ma.Schema):
    nickname = ma.fields.String(required=True, allow_none=True, validate=validate.And(
        validate.Length(min=1, max=32), _not_blank), metadata={
        "description": "The nickname WeChat's 头像昵称填写 component gave the mini-program (1–32 characters; "
                       "null removes it)"})


class PositionSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = ma.fields.String(load_default="gcj02", validate=validate.OneOf(("gcj02", "wgs84")))
    on_duty = ma.fields.Boolean(load_default=True)


class PositionOutSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    on_duty = ma.fields.Boolean()
    reported_at = LocalDateTime()


class StaffCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$"))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    display_name = ma.fields.String(validate=validate.Length(max=64))
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf([str(r) for r in STAFF_ROLES])), required=True,
                           validate=validate.Length(min=1))
    scope_division_code = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^\d{12}$"))
    scope_department_code = ma.fields.String(allow_none=True)


class StaffUpdateSchema(ma.Schema):
    roles = ma.fields.List(ma.fields.String(validate=validate.OneOf([str(r) for r in STAFF_ROLES])),
                           validate=validate.Length(min=1))
    is_active = ma.fields.Boolean()


class StaffSchema(UserSchema):
    username = ma.fields.String()
    is_active = ma.fields.Boolean()
