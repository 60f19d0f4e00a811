"""Login endpoints and the caller's own profile."""

from flask import request
from flask.views import MethodView

from api import geo
from api.access import current_user, public, requires
from api.errors import ServiceUnavailable
from api.events.service import Actor
from api.extensions import Blueprint
from api.identity import field, service
from api.identity.errors import (
    AccountDisabled,
    BadCredentials,
    LastAdmin,
    LoginRateLimited,
    NotFieldStaff,
    StaffNotFound,
    UnknownScope,
    UsernameTaken,
)
from api.identity.schemas import (
    PositionOutSchema,
    PositionSchema,
    ProfileSchema,
    StaffCreateSchema,
    StaffLoginSchema,
    StaffSchema,
    StaffUpdateSchema,
    TokenSchema,
    UserSchema,
    WeChatLoginSchema,
)
from api.organisation import queries as organisation
from api.roles import Role
from api.wechat.errors import (
    WeChatLoginCodeInvalid,
    WeChatRateLimited,
    WeChatRequestRejected,
    WeChatUnavailable,
    WeChatUserBlocked,
)

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Log in: citizens with WeChat, staff with a password")
me_blp = Blueprint("me", __name__, url_prefix="/me", description="The caller's own account")
staff_blp = Blueprint("staff", __name__, url_prefix="/admin/staff", description="Staff accounts, roles and scopes")
FIELD_ROLES = (Role.SUPERVISOR, Role.DEPT_HANDLER, Role.GAS_INSPECTOR)


@blp.route("/wechat-login")
class WeChatLogin(MethodView):
    @public
    @blp.arguments(WeChatLoginSchema)
    @blp.response(200, TokenSchema)
    @blp.errors(WeChatLoginCodeInvalid, WeChatUserBlocked, AccountDisabled, LoginRateLimited, WeChatRateLimited,
                WeChatUnavailable, WeChatRequestRejected)
    def post(self, body):
        """Log a citizen in with a wx.login() code

        The code is exchanged with WeChat (code2Session) for the openid; the first login creates the account and
        records the event. Logins are limited per source address (LOGIN_MAX_PER_IP_PER_MIN).
        """
        return service.wechat_login(body["code"], request.remote_addr or "unknown")


@blp.route("/staff-login")
class StaffLogin(MethodView):
    @public
    @blp.arguments(StaffLoginSchema)
    @blp.response(200, TokenSchema)
    @blp.errors(BadCredentials, AccountDisabled, LoginRateLimited)
    def post(self, body):
        """Log a staff member in with username and password

        Five wrong passwords from one address lock the username for that address for 15 minutes; failures from
        everywhere together only slow the account down (429 LOGIN_RATE_LIMITED with Retry-After). Changes
        nothing but the counters and the last-login time.
        """
        return service.staff_login(body["username"], body["password"], request.remote_addr or "unknown")


@me_blp.route("")
class Me(MethodView):
    @requires(*Role)
    @me_blp.response(200, UserSchema)
    def get(self):
        """The caller's account, roles and scope"""
        return current_user()


@me_blp.route("/profile")
class MyProfile(MethodView):
    @requires(Role.CITIZEN)
    @me_blp.arguments(ProfileSchema)
    @me_blp.response(200, UserSchema)
    def put(self, body):
        """Set the nickname staff see beside my reports (WeChat's 头像昵称填写 gives it to the mini-program)

        Stores the nickname (1–32 characters; null removes it) on the citizen's account (event `profile_updated`).
        Staff handling a case see each reporter by this nickname, or by a masked openid when there is none.
        """
        return service.set_nickname(current_user(), body["nickname"])


@me_blp.route("/position")
class MyPosition(MethodView):
    @requires(*FIELD_ROLES)
    @me_blp.arguments(PositionSchema)
    @me_blp.response(200, PositionOutSchema)
    @me_blp.errors(NotFieldStaff)
    def put(self, body):
        """Report the field app's position (wx.getLocation: GCJ-02 by default) and duty state

        Stores the caller's latest position (WGS-84) and on-duty flag; 核实/核查 tasks go to the nearest on-duty
        supervisor whose position is less than 15 minutes old.
        """
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
    @staff_blp.errors(UnknownScope, UsernameTaken)
    def post(self, body):
        """Create a staff account with roles and a street or department scope

        A new account (event `staff_created`); it logs in with the password given.
        """
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
    @staff_blp.errors(StaffNotFound, LastAdmin, ServiceUnavailable)
    def patch(self, body, user_id: int):
        """Change a staff member's roles or disable the account

        Recorded as a `staff_updated` event. The last active administrator can neither lose the admin role nor be
        disabled (409 LAST_ADMIN). The change holds from the staff member's very next request in every web process;
        if Redis cannot carry that news it is not made (503 SERVICE_UNAVAILABLE).
        """
        roles = {Role(r) for r in body["roles"]} if "roles" in body else None
        return service.update_staff(user_id, Actor("staff", current_user().id), roles=roles,
                                    is_active=body.get("is_active"))


@blp.route("/sign-out")
class SignOut(MethodView):
    @requires(*Role)
    @blp.response(204)
    @blp.errors(ServiceUnavailable)
    def post(self):
        """Sign out on every device: every access token of the caller stops working

        The caller's token epoch moves on (event `signed_out`): this token and any other the caller holds are
        refused (401 TOKEN_INVALID) from the very next request, in every web process; logging in again gives a
        new one. A staff member's console sessions end too.
        """
        user = current_user()
        service.sign_out(user, Actor("citizen" if user.is_citizen else "staff", user.id))


@staff_blp.route("/<int:user_id>/sign-out")
class StaffSignOut(MethodView):
    @requires(Role.ADMIN)
    @staff_blp.response(204)
    @staff_blp.errors(StaffNotFound, ServiceUnavailable)
    def post(self, user_id: int):
        """Sign a staff member out everywhere (a lost phone, a shared password): their tokens and console sessions

        Every access token the staff member holds is refused from the very next request and their console
        sessions end (event `signed_out`, the administrator as actor); the account stays usable: they log in
        again. To keep them out, disable the account as well (PATCH with `is_active: false`).
        """
        service.sign_out(service.get_staff(user_id), Actor("staff", current_user().id))
