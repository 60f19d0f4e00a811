"""Login endpoints and the caller's own profile."""

from flask import request
from flask.views import MethodView

from api.extensions import Blueprint
from api.identity import service
from api.identity.access import current_user, public, requires
from api.identity.roles import Role
from api.identity.schemas import StaffLoginSchema, TokenSchema, UserSchema, WeChatLoginSchema

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Log in: citizens with WeChat, staff with a password")
me_blp = Blueprint("me", __name__, url_prefix="/me", description="The caller's own account")


@blp.route("/wechat-login")
class WeChatLogin(MethodView):
    @public
    @blp.arguments(WeChatLoginSchema)
    @blp.response(200, TokenSchema)
    @blp.errors(400, 401, 429, 503)
    def post(self, body):
        """Log a citizen in with a wx.login() code

        The code is exchanged with WeChat (code2Session) for the openid; the first login creates the account.
        401 WECHAT_CODE_INVALID for a bad, expired or reused code; 429 when rate-limited; 503 when WeChat is busy.
        """
        return service.wechat_login(body["code"], request.remote_addr or "unknown")


@blp.route("/staff-login")
class StaffLogin(MethodView):
    @public
    @blp.arguments(StaffLoginSchema)
    @blp.response(200, TokenSchema)
    @blp.errors(400, 401, 429)
    def post(self, body):
        """Log a staff member in with username and password

        Five wrong passwords lock the username for 15 minutes (429 LOGIN_RATE_LIMITED).
        """
        return service.staff_login(body["username"], body["password"], request.remote_addr or "unknown")


@me_blp.route("")
class Me(MethodView):
    @requires(*Role)
    @me_blp.response(200, UserSchema)
    def get(self):
        """The caller's account, roles and scope"""
        return current_user()
