"""MiniProgramClient: wechatpy's WeChatClient pointed at a configurable base URL.

Fixes the pitfalls of wechatpy 1.8.18 (shared/reference/wechat-pay-invoice.md §1):
- the token URL is hard-coded → we fetch `cgi-bin/stable_token` from the configured base instead;
- token errors retried recursively without bound → `auto_retry=False` and one bounded retry here;
- tokens cached per process → one cache in Redis, refreshed under a Redis lock;
- 45011 / -1 arrive as plain WeChatClientException → mapped to rate-limit / unavailable errors.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
import requests
import requests.adapters
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from api.wechat import errors

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
CODE_ERRORS = {40029, 40163}
BUSY_ERRORS = {-1}
RATE_ERRORS = {45009, 45011}
TOKEN_SAFETY_MARGIN_S = 300
LOCAL_TOKEN_S = 60  # a process re-reads the shared access token from Redis at least this often
LOCK_TTL_S = 10
POOL_MAXSIZE = 64  # connections kept alive to WeChat per process (CHECK_CONCURRENCY threads share them)


class MiniProgramClient(WeChatClient):
    def __init__(self, appid: str, secret: str, *, api_base: str, redis_conn: redis.Redis, timeout: float = 5.0,
                 proxy: str = ""):
        super().__init__(appid, secret, session=RedisStorage(redis_conn, prefix="wechatpy"), timeout=timeout,
                         auto_retry=False)
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        self.API_BASE_URL = self.api_base + "cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base
        self._redis = redis_conn
        self._local_token: tuple[str | None, float] = (None, 0.0)
        # One keep-alive pool shared by the threads of a check worker or a gthread web worker; the environment's
        # proxy and netrc settings are not re-read on every call (WECHAT_PROXY says where to go, if anywhere).
        self._http.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        if proxy:
            self._http.proxies = {"http": proxy, "https": proxy}

    # -- access token -----------------------------------------------------------------------------
    @property
    def access_token(self) -> str:
        """The shared token (Redis), remembered in this process for LOCAL_TOKEN_S: a check job asks WeChat
        hundreds of times a second and need not read Redis before each call. Safe because the Redis copy expires
        TOKEN_SAFETY_MARGIN_S before WeChat's does (longer than LOCAL_TOKEN_S), and a token another process
        replaced meanwhile is rejected by WeChat, which `_request` answers by reading the new one once."""
        token, until = self._local_token
        if token and time.monotonic() < until:
            return token
        return self._remember(self.session.get(self.access_token_key) or self._refresh_token(force=False))

    def _remember(self, token: str) -> str:
        self._local_token = (token, time.monotonic() + LOCAL_TOKEN_S)
        return token

    def fetch_access_token(self) -> dict:
        return {"access_token": self._refresh_token(force=False)}

    def _refresh_token(self, *, force: bool, stale: str | None = None) -> str:
        """Fetch a token under a Redis lock so concurrent processes do not each refresh it."""
        lock = self._redis.lock(f"wechatpy:{self.appid}:token-lock", timeout=LOCK_TTL_S, blocking_timeout=LOCK_TTL_S)
        if not lock.acquire():
            raise errors.WeChatUnavailable(None, "access-token refresh lock not acquired")
        try:
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return self._remember(current)  # another process refreshed while we waited
            result = self._call(lambda: self._http.post(
                self.API_BASE_URL + "stable_token",
                json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                      "force_refresh": force},
                timeout=self.timeout))
            ttl = max(60, int(result.get("expires_in", 7200)) - TOKEN_SAFETY_MARGIN_S)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            return self._remember(result["access_token"])
        finally:
            lock.release()

    # -- requests -----------------------------------------------------------------------------------
    def _request(self, method, url_or_endpoint, **kwargs):
        """One bounded retry on a token error, with a forced refresh; errors mapped to domain errors."""
        try:
            return self._with_mapped_errors(super()._request, method, url_or_endpoint, dict(kwargs))
        except _TokenRejected as rejected:
            log.info("access token rejected; refreshing once", extra={"errcode": rejected.errcode})
            # 42001 (expired): a normal fetch returns the new token; 40001/40014 (invalid): force a new one.
            self._refresh_token(force=rejected.errcode != 42001, stale=rejected.token)
        try:
            return self._with_mapped_errors(super()._request, method, url_or_endpoint, dict(kwargs))
        except _TokenRejected as again:  # bounded: one refresh per call, then it is an error
            raise map_error(again.errcode, "access token rejected after a refresh") from again

    def _with_mapped_errors(self, call, method, url_or_endpoint, kwargs):
        params = kwargs.setdefault("params", {})
        params.pop("access_token", None)
        token = self.access_token
        params["access_token"] = token
        try:
            return call(method, url_or_endpoint, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode in TOKEN_ERRORS:
                raise _TokenRejected(exc.errcode, token) from exc
            raise map_error(exc.errcode, exc.errmsg) from exc
        except requests.RequestException as exc:
            raise errors.WeChatUnavailable(None, f"transport error: {exc.__class__.__name__}") from exc

    def _call(self, send) -> dict:
        try:
            response = send()
        except requests.RequestException as exc:
            raise errors.WeChatUnavailable(None, f"transport error: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise errors.WeChatUnavailable(None, f"HTTP {response.status_code}")
        result = response.json()
        if result.get("errcode"):
            raise map_error(int(result["errcode"]), result.get("errmsg"))
        return result

    # -- APIs the product uses ----------------------------------------------------------------------
    def code_to_session(self, js_code: str) -> dict[str, Any]:
        return self.wxa.code_to_session(js_code)

    def send_subscribe_message(self, openid: str, template_id: str, data: dict, page: str | None = None,
                               miniprogram_state: str = "formal") -> dict:
        body = {"touser": openid, "template_id": template_id, "data": data, "miniprogram_state": miniprogram_state,
                "lang": "zh_CN"}
        if page:
            body["page"] = page
        return self.post("message/subscribe/send", data=body)

    def check_text(self, openid: str, content: str, scene: int = 3) -> dict:
        """msgSecCheck 2.0: returns `result` ({suggest: pass|review|risky, label})."""
        result = self.post("wxa/msg_sec_check", api_base_url=self.api_base,
                           data={"version": 2, "openid": openid, "scene": scene, "content": content})
        return result.get("result", {"suggest": "pass", "label": 100})

    def check_image(self, image: bytes, filename: str = "photo.jpg") -> bool:
        """imgSecCheck: True when the image passes, False when WeChat flags it (87014)."""
        try:
            self.wxa.check_image_security(media=(filename, image))
        except errors.WeChatRequestRejected as exc:
            if exc.errcode == 87014:
                return False
            raise
        return True

    def get_wxa_code_unlimited(self, scene: str, page: str | None = None, width: int = 430) -> bytes:
        response = self.wxa.get_wxa_code_unlimited(scene, width=width, page=page)
        return response.content


class _TokenRejected(Exception):
    def __init__(self, errcode: int, token: str):
        super().__init__(errcode)
        self.errcode = errcode
        self.token = token


def map_error(errcode: int | None, errmsg: str | None) -> errors.WeChatError:
    if errcode in CODE_ERRORS:
        return errors.WeChatLoginCodeInvalid(errcode, errmsg)
    if errcode == 40226:
        return errors.WeChatUserBlocked(errcode, errmsg)
    if errcode in RATE_ERRORS:
        return errors.WeChatRateLimited(errcode, errmsg)
    if errcode in BUSY_ERRORS or errcode is None:
        return errors.WeChatUnavailable(errcode, errmsg)
    return errors.WeChatRequestRejected(errcode, errmsg)


_client: MiniProgramClient | None = None


def get_client() -> MiniProgramClient:
    """The process's client (built lazily from the active configuration)."""
    global _client
    if _client is None:
        from api.config import get_config
        from api.extensions import get_redis

        config = get_config()
        _client = MiniProgramClient(config.WECHAT_APPID, config.WECHAT_SECRET, api_base=config.WECHAT_API_BASE,
                                    redis_conn=get_redis(), timeout=config.WECHAT_TIMEOUT_S,
                                    proxy=config.WECHAT_PROXY)
    return _client


def reset_client() -> None:
    global _client
    _client = None

