"""Identity errors, named as facts."""

from api.errors import Forbidden, TooManyRequests, Unauthorized


class TokenMissing(Unauthorized):
    code, message = "TOKEN_MISSING", "An Authorization: Bearer token is required."


class TokenInvalid(Unauthorized):
    code, message = "TOKEN_INVALID", "The access token is invalid or has expired."


class BadCredentials(Unauthorized):
    code, message = "BAD_CREDENTIALS", "Wrong username or password."


class AccountDisabled(Unauthorized):
    code, message = "ACCOUNT_DISABLED", "This account is disabled."


class RoleNotAllowed(Forbidden):
    code, message = "ROLE_NOT_ALLOWED", "Your role may not call this endpoint."


class OutOfScope(Forbidden):
    code, message = "OUT_OF_SCOPE", "This resource is outside your street or department."


class LoginRateLimited(TooManyRequests):
    code, message = "LOGIN_RATE_LIMITED", "Too many login attempts; try again later."
