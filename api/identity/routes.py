"""Login endpoints and the caller's own profile."""

from flask import request
from flask.views import MethodView

from api import geo
from api.events.service import Actor
from api.extensions import Blueprint
from api.identity import field, service
from api.identity.access import current_user, public, requires
from api.identity.errors import NotFieldStaff, UnknownScope
from api.identity.roles import Role
from api.identity.schemas import (
    PositionOutSchema,
    PositionSchema,
    StaffCreateSchema,
    StaffLoginSchema,
    StaffSchema,
    StaffUpdateSchema,
    TokenSchema,
    UserSchema,
    WeChatLoginSchema,
)
from api.organisation import queries as organisation

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Log in: citizens with WeChat, staff with a password")
me_blp = Blueprint("me", __name__, url_prefix="/me", description="The caller's own account")
staff_blp = Blueprint("staff", __name__, url_prefix="/admin/staff", description="Staff accounts, roles and scopes")
FIELD_ROLES = (Role.SUPERVISOR, Role.DEPT_HANDLER, Role.GAS_INSPECTOR)


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


@me_blp.route("/position")
class MyPosition(MethodView):
    @requires(*FIELD_ROLES)
    @me_blp.arguments(PositionSchema)
    @me_blp.response(200, PositionOutSchema)
    @me_blp.errors(400)
    def put(self, body):
        """Report the field app's position (wx.getLocation: GCJ-02 by default) and duty state"""
        user = current_user()
        if not user.roles & set(FIELD_ROLES):
            raise NotFieldStaff()
        lat, lon = geo.to_wgs84(body["lat"], body["lon"], body["coord_system"])
        return field.report_position(user, round(lat, 7), round(lon, 7), body["on_duty"])


@staff_blp.route("")
class StaffAccounts(MethodView):
    @requires(Role.ADMIN)
    @staff_blp.response(200, StaffSchema(many=True))
    def get(self):
        """Every staff account"""
        return service.list_staff()

    @requires(Role.ADMIN)
    @staff_blp.arguments(StaffCreateSchema)
    @staff_blp.response(201, StaffSchema)
    @staff_blp.errors(400, 409)
    def post(self, body):
        """Create a staff account with roles and a street or department scope"""
        street, department = body.get("scope_division_code"), None
        if street and getattr(organisation.get_division(street), "kind", None) not in ("street", "town"):
            raise UnknownScope(details={"scope_division_code": street})
        if body.get("scope_department_code"):
            department = organisation.get_department_by_code(body["scope_department_code"])
            if department is None:
                raise UnknownScope(details={"scope_department_code": body["scope_department_code"]})
        return service.add_staff(body["username"], body["password"], {Role(r) for r in body["roles"]},
                                 Actor("staff", current_user().id), display_name=body.get("display_name", ""),
                                 scope_division_code=street, scope_department_id=department.id if department else None)


@staff_blp.route("/<int:user_id>")
class StaffById(MethodView):
    @requires(Role.ADMIN)
    @staff_blp.arguments(StaffUpdateSchema)
    @staff_blp.response(200, StaffSchema)
    @staff_blp.errors(400, 404)
    def patch(self, body, user_id: int):
        """Change a staff member's roles or disable the account"""
        roles = {Role(r) for r in body["roles"]} if "roles" in body else None
        return service.update_staff(user_id, Actor("staff", current_user().id), roles=roles,
                                    is_active=body.get("is_active"))
