"""Identity request/response schemas."""

import marshmallow as ma
from marshmallow import validate


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
    roles = ma.fields.Function(lambda u: sorted(str(r) for r in u.roles))
    scope_division_code = ma.fields.String(allow_none=True)
    scope_department_id = ma.fields.Integer(allow_none=True)


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.Constant("Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "Seconds until the token expires"})
    user = ma.fields.Nested(UserSchema)
