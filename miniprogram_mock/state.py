"""The simulator's in-memory state, guarded by one lock (the simulator runs threaded)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

CODE_TTL_S = 300
OLD_TOKEN_GRACE_S = 300
LOGIN_PER_USER_PER_MIN = 100
FORCE_REFRESH_PER_DAY = 20

# Template keyword layouts known to the simulator (the console's registered templates).
DEFAULT_TEMPLATES = {
    "tmpl-report-progress": ["character_string1", "thing2", "phrase3", "time4", "thing5"],
    "tmpl-bill-reminder": ["character_string1", "thing2", "amount3", "date4", "thing5"],
    "tmpl-gas-visit": ["character_string1", "thing2", "date3", "thing4", "thing5"],
}
DEFAULT_RISKY_WORDS = ("违禁词", "赌博", "色情", "枪支")
# The calls WeChat answers across the network (a configurable latency stands for the distance).
DISTANT_APIS = ("msg_sec_check", "img_sec_check", "subscribe_send", "jscode2session")
DEFAULT_REVIEW_WORDS = ("敏感", "投诉曝光")


@dataclass
class Token:
    value: str
    appid: str
    expires_at: float


@dataclass
class LoginCode:
    openid: str
    unionid: str | None
    expires_at: float
    used: bool = False


@dataclass
class Fault:
    api: str
    errcode: int | None = None
    http_status: int | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class State:
    apps: dict[str, str]
    lock: threading.RLock = field(default_factory=threading.RLock)
    token_ttl_s: int = 7200
    tokens: dict[str, Token] = field(default_factory=dict)
    # (family, appid) → the family's current token. cgi-bin/token and cgi-bin/stable_token are "完全隔离，互不影响"
    # (WeChat's words): a call to one never replaces or expires the other's token.
    current_token: dict[tuple[str, str], str] = field(default_factory=dict)
    force_refreshes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    codes: dict[str, LoginCode] = field(default_factory=dict)
    users: dict[str, str | None] = field(default_factory=dict)  # openid → unionid
    login_calls: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    quotas: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    templates: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_TEMPLATES.items()})
    messages: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    risky_words: list[str] = field(default_factory=lambda: list(DEFAULT_RISKY_WORDS))
    review_words: list[str] = field(default_factory=lambda: list(DEFAULT_REVIEW_WORDS))
    latency_s: float = 0.0  # added to every DISTANT_APIS answer: WeChat is not on loopback

    def reset(self) -> None:
        with self.lock:
            fresh = State(apps=self.apps)
            for name in ("tokens", "current_token", "force_refreshes", "codes", "users", "login_calls", "quotas",
                         "templates", "messages", "faults", "calls", "risky_words", "review_words", "latency_s"):
                setattr(self, name, getattr(fresh, name))
            self.token_ttl_s = 7200

    # -- tokens ---------------------------------------------------------------------------------------
    def issue_token(self, appid: str, family: str = "token") -> Token:
        """A new token of one family (`token` or `stable`); that family's previous token stays valid for 5 minutes
        (as WeChat documents); the other family's is untouched."""
        now = time.time()
        previous = self.tokens.get(self.current_token.get((family, appid), ""))
        if previous is not None:
            previous.expires_at = min(previous.expires_at, now + OLD_TOKEN_GRACE_S)
        token = Token(value=f"TOKEN_{secrets.token_urlsafe(24)}", appid=appid, expires_at=now + self.token_ttl_s)
        self.tokens[token.value] = token
        self.current_token[(family, appid)] = token.value
        return token

    def valid_current_token(self, appid: str, family: str = "stable") -> Token | None:
        token = self.tokens.get(self.current_token.get((family, appid), ""))
        return token if token is not None and token.expires_at > time.time() else None

    # -- faults ---------------------------------------------------------------------------------------
    def take_fault(self, api: str) -> Fault | None:
        with self.lock:
            self.calls[api] += 1
            for fault in self.faults:
                if fault.api in (api, "*") and fault.times != 0:
                    fault.times -= 1
                    return fault
        return None


def rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def error(errcode: int, text: str) -> dict:
    return {"errcode": errcode, "errmsg": f"{text} rid: {rid()}"}
