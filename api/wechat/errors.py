"""WeChat failures as domain errors with stable codes."""

from api.errors import ServiceUnavailable, TooManyRequests, Unauthorized, Unprocessable


class WeChatError(Exception):
    """Base for errors raised by api.wechat; callers may catch it to decide retry vs give up."""

    retryable = False

    def __init__(self, errcode: int | None, errmsg: str | None):
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatLoginCodeInvalid(WeChatError, Unauthorized):
    code, message = "WECHAT_CODE_INVALID", "The WeChat login code is invalid, expired or already used."

    def __init__(self, errcode, errmsg):
        WeChatError.__init__(self, errcode, errmsg)
        Unauthorized.__init__(self, details={"errcode": errcode})


class WeChatUserBlocked(WeChatError, Unauthorized):
    code, message = "WECHAT_USER_BLOCKED", "WeChat refused this user (high risk)."

    def __init__(self, errcode, errmsg):
        WeChatError.__init__(self, errcode, errmsg)
        Unauthorized.__init__(self, details={"errcode": errcode})


class WeChatRateLimited(WeChatError, TooManyRequests):
    retryable = True
    code, message = "WECHAT_RATE_LIMITED", "WeChat's rate limit was reached; try again in a minute."

    def __init__(self, errcode, errmsg):
        WeChatError.__init__(self, errcode, errmsg)
        TooManyRequests.__init__(self, retry_after=60, details={"errcode": errcode})


class WeChatUnavailable(WeChatError, ServiceUnavailable):
    retryable = True
    code, message = "WECHAT_UNAVAILABLE", "WeChat is busy or unreachable; try again."

    def __init__(self, errcode, errmsg):
        WeChatError.__init__(self, errcode, errmsg)
        ServiceUnavailable.__init__(self, details={"errcode": errcode})


class WeChatRequestRejected(WeChatError, Unprocessable):
    """WeChat refused the request's content (bad openid, template, value rules, no quota …)."""

    code, message = "WECHAT_REQUEST_REJECTED", "WeChat rejected the request."

    def __init__(self, errcode, errmsg):
        WeChatError.__init__(self, errcode, errmsg)
        Unprocessable.__init__(self, details={"errcode": errcode, "errmsg": errmsg})
