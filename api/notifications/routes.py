"""The citizen tells us which templates they accepted, and sees what was sent."""

from flask.views import MethodView

from api.access import current_user, requires
from api.extensions import Blueprint
from api.notifications import inbox, service
from api.notifications.errors import NoticeNotFound, UnknownTemplate
from api.notifications.schemas import (
    AcceptedTemplatesSchema,
    InboxArgsSchema,
    InboxPageSchema,
    MarkedSchema,
    NotificationSchema,
    SubscriptionSchema,
    UnreadSchema,
)
from api.roles import STAFF_ROLES, Role

blp = Blueprint("notifications", __name__, url_prefix="/me",
                description="Subscribe messages to citizens; the staff inbox")


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, SubscriptionSchema(many=True))
    def get(self):
        """Remaining one-time sends per template"""
        return service.subscriptions_of(current_user().id)

    @requires(Role.CITIZEN)
    @blp.arguments(AcceptedTemplatesSchema)
    @blp.response(200, SubscriptionSchema(many=True))
    @blp.errors(UnknownTemplate)
    def post(self, body):
        """Record templates the user accepted in wx.requestSubscribeMessage

        Each accepted template allows one more message (WeChat's one-time subscription).
        """
        return service.record_accepted(current_user().id, body["template_ids"])


@blp.route("/notifications")
class Notifications(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, NotificationSchema(many=True))
    def get(self):
        """The caller's latest notifications with their delivery state"""
        return service.list_for_user(current_user().id)


STAFF = tuple(STAFF_ROLES)


@blp.route("/inbox")
class Inbox(MethodView):
    @requires(*STAFF)
    @blp.arguments(InboxArgsSchema, location="query")
    @blp.response(200, InboxPageSchema)
    def get(self, args):
        """My inbox (new work, returns, escalations), newest first, with the unread count"""
        items, total, unread = inbox.list_for(current_user().id, args["unread"], args["page"], args["page_size"])
        return {"items": items, "page": args["page"], "page_size": args["page_size"], "total": total,
                "unread": unread}


@blp.route("/inbox/unread-count")
class InboxUnread(MethodView):
    @requires(*STAFF)
    @blp.response(200, UnreadSchema)
    def get(self):
        """How many notices I have not read (for the badge)"""
        return {"unread": inbox.unread_count(current_user().id)}


@blp.route("/inbox/<int:notice_id>/read")
class InboxRead(MethodView):
    @requires(*STAFF)
    @blp.response(200, MarkedSchema)
    @blp.errors(NoticeNotFound)
    def post(self, notice_id: int):
        """Mark one notice read

        Sets the notice's read time; the unread count falls by one.
        """
        return {"marked": inbox.mark_read(current_user().id, notice_id)}


@blp.route("/inbox/read-all")
class InboxReadAll(MethodView):
    @requires(*STAFF)
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark every notice read

        Sets the read time of every unread notice of the caller; answers how many changed.
        """
        return {"marked": inbox.mark_read(current_user().id)}
