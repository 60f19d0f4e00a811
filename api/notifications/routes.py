"""The citizen tells us which templates they accepted, and sees what was sent."""

from flask.views import MethodView

from api.extensions import Blueprint
from api.identity.access import current_user, requires
from api.identity.roles import Role
from api.notifications import service
from api.notifications.schemas import AcceptedTemplatesSchema, NotificationSchema, SubscriptionSchema

blp = Blueprint("notifications", __name__, url_prefix="/me", description="Subscribe messages to the citizen")


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
    @blp.errors(400)
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
