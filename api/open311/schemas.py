"""The admin API's schemas for Open311 clients."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.timefmt import LocalDateTime


class ClientRegisterSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=100),
                            metadata={"description": "Who files with the key (an app, a hotline platform)"})
    rate_per_minute = ma.fields.Integer(load_default=60, validate=validate.Range(min=1, max=6000),
                                        metadata={"description": "Requests a minute the key may make"})
    contact = ma.fields.String(load_default="", validate=validate.Length(max=200))


class ClientSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    key_hint = ma.fields.String(metadata={"description": "The key's first six characters"})
    rate_per_minute = ma.fields.Integer()
    contact = ma.fields.String()
    active = ma.fields.Boolean()
    created_at = LocalDateTime()
    revoked_at = LocalDateTime(allow_none=True)


class ClientWithKeySchema(ClientSchema):
    api_key = ma.fields.String(metadata={"description": "Shown once: the client sends it as api_key"})


class RevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))
