"""Identity errors, named as facts."""

from api.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized


class BadCredentials(Unauthorized):
    code, message = "BAD_CREDENTIALS", "Wrong username or password."


class AccountDisabled(Unauthorized):
    code, message = "ACCOUNT_DISABLED", "This account is disabled."


class OutOfScope(Forbidden):
    code, message = "OUT_OF_SCOPE", "This resource is outside your street or department."


class LoginRateLimited(TooManyRequests):
    code, message = "LOGIN_RATE_LIMITED", "Too many login attempts; try again later."


class UnknownScope(BadRequest):
    code, message = "UNKNOWN_SCOPE", "The scope must be a street/town code or a department code that exists."


class UsernameTaken(Conflict):
    code, message = "USERNAME_TAKEN", "This username is taken."


class StaffNotFound(NotFound):
    code, message = "STAFF_NOT_FOUND", "No such staff member."


class NotFieldStaff(Forbidden):
    code, message = "NOT_FIELD_STAFF", "Only field staff report positions."


class LastAdmin(Conflict):
    code, message = "LAST_ADMIN", "The last active administrator cannot lose the admin role or be disabled."
