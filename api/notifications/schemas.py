"""Notification schemas."""

import marshmallow as ma
from marshmallow import validate

from api.paging import PageArgs
from api.timefmt import LocalDateTime


class AcceptedTemplatesSchema(ma.Schema):
    template_ids = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=64)), required=True,
                                  validate=validate.Length(min=1, max=10),
                                  metadata={"description": "Template ids the user accepted in "
                                                           "wx.requestSubscribeMessage (one send each)"})


class SubscriptionSchema(ma.Schema):
    template_id = ma.fields.String()
    remaining = ma.fields.Integer()


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    template_id = ma.fields.String()
    subject_type = ma.fields.String()
    subject_id = ma.fields.Integer()
    data = ma.fields.Dict()
    status = ma.fields.String(metadata={"description": "pending | sending | sent | no_quota | failed"})
    attempts = ma.fields.Integer()
    last_error = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)


class InboxArgsSchema(PageArgs):
    unread = ma.fields.Boolean(load_default=False)


class StaffNoticeSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    subject_type = ma.fields.String()
    subject_id = ma.fields.Integer()
    message = ma.fields.String()
    flagged = ma.fields.Boolean(metadata={"description": "Work nobody holds yet: a person must assign it"})
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)


class InboxPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StaffNoticeSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer()
    unread = ma.fields.Integer()


class UnreadSchema(ma.Schema):
    unread = ma.fields.Integer()


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer()
