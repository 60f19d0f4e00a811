"""Configuration: the only module that reads os.environ."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field, fields

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENVIRONMENTS = ("development", "test", "production")

# Secrets that production refuses to start without (make run generates dev values into var/).
REQUIRED_SECRETS = ("SECRET_KEY", "MEDIA_SIGNING_KEY", "WECHAT_APPID", "WECHAT_SECRET")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


def _int_list(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


@dataclass(frozen=True)
class Config:
    ENV: str = "development"
    DATABASE_URL: str = "sqlite:///var/dev.db"
    DB_POOL_SIZE: int = 10  # per process; beyond it DB_MAX_OVERFLOW more, then requests wait DB_POOL_TIMEOUT_S
    DB_MAX_OVERFLOW: int = 10
    DB_POOL_TIMEOUT_S: int = 10  # then 503 SERVICE_BUSY with Retry-After
    DB_PING_AFTER_IDLE_S: float = 10  # a pooled connection idle this long is pinged before use (0: before every use)
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    WORKER_MAINTENANCE_S: int = 60  # how often a worker looks for jobs whose worker died (RQ's default: 600)
    SECRET_KEY: str = ""
    ACCESS_TOKEN_TTL_S: int = 2 * 3600
    USER_CACHE_MAX_AGE_S: int = 300  # a web process re-reads a cached user at least this often (0: never caches)
    # WeChat mini-program (wechatpy). Base URL points at miniprogram_mock in dev/test.
    WECHAT_APPID: str = ""
    WECHAT_SECRET: str = ""
    WECHAT_API_BASE: str = "https://api.weixin.qq.com/"
    WECHAT_TIMEOUT_S: float = 5.0
    CHECK_MAX_ATTEMPTS: int = 4  # content checks: tries before an item is flagged `unchecked` (never lost)
    CHECK_CONCURRENCY: int = 64  # WeChat calls in flight per check job (16 fell behind 200 drafts/s at 80 ms)
    CHECK_BATCH: int = 256  # items one claim leases
    WECHAT_PROXY: str = ""  # an egress proxy to WeChat, when the network needs one (the environment's is not read)
    WECHAT_MINIPROGRAM_STATE: str = "formal"
    # Subscribe-message template ids (from the mini-program admin console).
    TEMPLATE_REPORT_PROGRESS: str = "tmpl-report-progress"
    NOTIFY_RETRY_INTERVALS: list[int] = field(default_factory=lambda: [10, 60, 300])
    # Media
    MEDIA_DERIVE_THREADS: int = 2  # photo copies made at once by one media worker (Pillow releases the GIL)
    MEDIA_BACKEND: str = "local"  # local | s3
    MEDIA_DIR: str = "var/media"
    MEDIA_SIGNING_KEY: str = ""
    MEDIA_URL_TTL_S: int = 3600
    MEDIA_PUBLIC_BASE: str = ""  # absolute base for signed local URLs; empty = request host
    S3_ENDPOINT_URL: str = ""
    S3_BUCKET: str = "suiyun-media"
    S3_REGION: str = "us-east-1"
    S3_ACCESS_KEY_ID: str = ""
    S3_SECRET_ACCESS_KEY: str = ""
    PHOTO_MAX_BYTES: int = 10 * 1024 * 1024
    PHOTO_MAX_PIXELS: int = 40_000_000
    PHOTOS_PER_REPORT: int = 9
    DRONE_BATCH_MAX_BYTES: int = 64 * 1024 * 1024  # a drone batch's body (base64 photos); others: PHOTO_MAX_BYTES
    DRAFT_TTL_S: int = 24 * 3600
    # District bounding box (WGS-84) and the margin added before rejecting a point.
    DISTRICT_BBOX: tuple[float, float, float, float] = (113.1445, 23.1406, 113.5049, 23.4313)
    DISTRICT_BBOX_MARGIN_DEG: float = 0.01
    # Login rate limits
    LOGIN_MAX_PER_IP_PER_MIN: int = 30
    STAFF_LOGIN_MAX_FAILURES: int = 5
    STAFF_LOGIN_LOCK_S: int = 900
    # Staff login: failures per account + source address lock that pair; failures of an account from everywhere
    # slow it down globally (doubling waits up to the cap), so nobody can lock an account at will.
    STAFF_LOGIN_ACCOUNT_FREE_FAILURES: int = 20  # per window, before the global back-off starts
    STAFF_LOGIN_ACCOUNT_WINDOW_S: int = 3600
    STAFF_LOGIN_BACKOFF_MAX_S: int = 60
    CONSOLE_IDLE_S: int = 1800  # the staff console signs a session out after this long without a request
    TRUSTED_PROXY_COUNT: int = 0  # reverse proxies in front that set X-Forwarded-For (0: use the peer address)
    # Observability (docs/operations.md "What to watch"): GET /metrics answers only `Authorization: Bearer
    # <METRICS_TOKEN>` (empty: /metrics is 404 for everyone)
    METRICS_TOKEN: str = ""
    # prometheus-client's multi-process folder (it reads the variable itself): set it for gunicorn and the workers
    # on one host, an empty folder at each start; unset: each process counts alone (set but empty: refused)
    PROMETHEUS_MULTIPROC_DIR: str = ""
    # Citizens after a case closes: rate or reopen within CITIZEN_WINDOW_DAYS; reopen each report this often
    CITIZEN_WINDOW_DAYS: int = 7
    REOPENS_PER_REPORT: int = 1
    # 数字城管 practice: a passed 核查 waits for the 值班长 (role shift_lead) to approve 结案 (off: it closes the case)
    CLOSE_APPROVAL: bool = False
    OUTBOX_SWEEP_AFTER_S: int = 5
    # The 12345 platform: where a hotline case's answer is POSTed when it ends (empty: shown in the API only)
    HOTLINE_ANSWER_URL: str = ""
    HOTLINE_SIGNING_KEY: str = ""  # HMAC-SHA256 over "<timestamp>.<body>", sent as X-Signature
    # Automatic intake (classification, routing, duplicates): see api/classification.
    MODEL_DIR: str = "var/models"  # versioned model bundles and the exported backbone
    CLASSIFIER_BACKEND: str = "onnx"  # onnx (onnxruntime, ~3x faster on CPU) | torch
    CLASSIFY_THRESHOLD: float = 0.6  # default auto-dispatch confidence; per-category overrides in the DB
    CLASSIFY_MIN_LABELS: int = 5  # staff-confirmed cases a 小类 needs before the image head learns it
    CLASSIFY_MIN_PRECISION: float = 0.95  # the promotion gate: auto-dispatch precision floor per 小类 …
    CLASSIFY_GATE_SUPPORT: int = 20  # … for 小类 auto-dispatched at least this often in the evaluation set
    AUTO_DISPATCH: bool = True  # False: the pipeline only suggests; every case waits at a desk
    DUPLICATE_RADIUS_M: float = 50.0
    DUPLICATE_WINDOW_H: float = 24.0
    INTAKE_RETRY_INTERVALS: list[int] = field(default_factory=lambda: [5, 30, 120])
    # WeChat Pay v3 (wechatpayv3, platform-public-key mode); keys are PEM files, the APIv3 key a 32-byte string.
    WECHATPAY_MCHID: str = ""  # empty: fees can be billed, not paid
    WECHATPAY_CERT_SERIAL: str = ""  # the merchant API certificate's serial number
    WECHATPAY_PRIVATE_KEY_FILE: str = ""  # merchant private key: signs requests and paySign
    WECHATPAY_APIV3_KEY: str = ""
    WECHATPAY_PUBLIC_KEY_FILE: str = ""  # WeChat Pay's platform public key: verifies answers and notifies
    WECHATPAY_PUBLIC_KEY_ID: str = ""  # PUB_KEY_ID_…, as Wechatpay-Serial names it
    WECHATPAY_API_BASE: str = "https://api.mch.weixin.qq.com"
    WECHATPAY_NOTIFY_URL: str = ""  # https://<public host>/fees/wechatpay/notify
    WECHATPAY_REFUND_NOTIFY_URL: str = ""  # https://<public host>/fees/wechatpay/refund-notify
    WECHATPAY_TIMEOUT_S: float = 10.0
    WECHATPAY_NOTIFY_WINDOW_S: int = 300  # a notify signed further from now than this is refused (replay)
    PAY_ORDER_TTL_S: int = 900  # time_expire of a prepay: bills are locked to the order this long
    PAY_QUERY_AFTER_S: int = 120  # an order still unpaid this long after prepay is asked about (lost notifies)
    PAY_PAID_AFTER_CLOSE: str = "refund"  # refund | hold: money that arrives for an order we had closed
    PAY_RETRY_INTERVALS: list[int] = field(default_factory=lambda: [10, 60, 300, 1800])
    # Sanitation fees
    BILL_RUN_DAY: int = 1  # the clock's bill run bills the current month from this day of it
    BILL_DUE_DAYS: int = 15  # a bill falls due this many days after the end of the month it bills
    BILL_REMIND_DAYS_BEFORE: int = 5  # the "due soon" reminder goes out this many days before the due date
    BIND_MAX_PER_HOUR: int = 10  # binding attempts per user (and per account number) an hour
    RECONCILE_AFTER_HOUR: int = 10  # WeChat's trade bill for a day is ready from 10:00 (Beijing) the next day
    PAYEE_NAME: str = "广州市白云区城市管理和综合执法局"  # 收款单位 on receipts
    TEMPLATE_BILL_REMINDER: str = "tmpl-bill-reminder"
    TEMPLATE_GAS_VISIT: str = "tmpl-gas-visit"  # 入户安检通知: 户号, 地址, 上门日期, 安检员, 温馨提示
    # The e-receipt issuing platform (simulated by miniprogram_mock/issuer.py in dev and tests)
    ISSUER_API_BASE: str = ""  # empty: receipts wait, prepared, until one is configured
    ISSUER_APP_ID: str = ""
    ISSUER_SECRET: str = ""  # HMAC-SHA256 over "timestamp\nbody"
    ISSUER_TIMEOUT_S: float = 10.0
    RECEIPT_URL_TTL_S: int = 600  # a receipt's download link expires after this
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"  # what a receipt's QR points at (the public verification)
    # Gas-safety inspection (入户安检)
    GAS_CHECKIN_TOLERANCE_M: int = 150  # a check-in further from the premises needs a reason (supervisor told)
    GAS_MAX_MISSES: int = 3  # nobody home this many times: the gas supervisor takes the task over
    GAS_HAZARD_DAYS: list[int] = field(default_factory=lambda: [1, 7, 30])  # rectification days, 一级/二级/三级
    # a hazard's case is filed under its checklist item's 燃气安全 class; these only when that class is missing
    GAS_HAZARD_CATEGORY: str = "event:04-99"  # (突发事件·其他)
    GAS_LEAK_CATEGORY: str = "event:04-03"  # a leak's (燃气管道破裂)
    # A leak: the gas company's 24-hour repair line is alerted by a retried job (POST, signed as 12345 answers);
    # the contact (name and phone) is printed in the alert and in the staff's notices (to phone when it fails)
    GAS_REPAIR_CONTACT: str = ""
    GAS_REPAIR_ALERT_URL: str = ""  # empty: no automatic alert; the notices tell staff to phone the contact
    GAS_REPAIR_SIGNING_KEY: str = ""  # HMAC-SHA256 over "<timestamp>.<body>", sent as X-Signature
    GAS_BADGE_VALID_DAYS: int = 365  # an inspector's badge expires this many days after it was issued
    GAS_LOOKAHEAD_DAYS: int = 7  # the day list holds assigned tasks due up to this many days ahead
    GAS_DAY_MAX_TASKS: int = 40
    GAS_BOOKING_DAYS: int = 30  # residents book a visit from tomorrow up to this many days ahead
    GAS_NOTICE_DAYS: int = 3  # residents are told of a visit this many days before it is due (or the day before
    # a booked one)
    GAS_EMPLOYER: str = "白云区燃气安全检查（受区城市管理和综合执法局委托）"  # what a badge check names as employer
    # Origins (scheme://host:port, comma-separated) whose pages may call the API from a browser: the mini-program
    # stand-in's in development (make run sets it). Empty: no CORS at all. Never "*", never in production.
    CORS_ORIGINS: str = ""
    # Open311 GeoReport v2 (docs/open311.md): the endpoints discovery lists ("type=url,…", type production or test;
    # empty: this server's PUBLIC_BASE_URL, as production in production and as test elsewhere), who to contact, where
    # clients ask for a key, and whether accepted cases carry a display-size photo link
    OPEN311_ENDPOINTS: str = ""
    OPEN311_CONTACT: str = "白云区城市管理和综合执法局 指挥中心 020-12319"
    OPEN311_KEY_SERVICE: str = "向区城管局指挥中心申请（管理员在 /admin/open311/clients 登记）"
    OPEN311_MEDIA_URLS: bool = True
    OPEN311_READS_PER_MINUTE: int = 120  # public reads per client address (a 1,000-row list costs ~50 ms of CPU)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Config:
        env = dict(os.environ if environ is None else environ)
        if env.get("PROMETHEUS_MULTIPROC_DIR") == "":  # prometheus-client would write its files to the working folder
            raise ConfigError("PROMETHEUS_MULTIPROC_DIR is set but empty: unset it, or name an empty folder")
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name not in env:
                continue
            values[f.name] = _coerce(f.name, env[f.name], str(f.type))
        values.update(overrides)
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        if self.ENV not in ENVIRONMENTS:
            raise ConfigError(f"ENV must be one of {ENVIRONMENTS}, not {self.ENV!r}")
        self._check_cors()
        self._check_open311()
        if self.ENV == "production":
            missing = [name for name in REQUIRED_SECRETS if not getattr(self, name)]
            if missing:
                raise ConfigError(f"production start-up refused: missing secrets {', '.join(missing)}")
            if self.WECHAT_API_BASE.startswith("http://127.") or "localhost" in self.WECHAT_API_BASE:
                raise ConfigError("production start-up refused: WECHAT_API_BASE points at a local simulator")
        elif not self.SECRET_KEY or not self.MEDIA_SIGNING_KEY:
            raise ConfigError("SECRET_KEY and MEDIA_SIGNING_KEY are required (make run writes dev values to var/)")
        if self.HOTLINE_ANSWER_URL and not self.HOTLINE_SIGNING_KEY:
            raise ConfigError("HOTLINE_ANSWER_URL needs HOTLINE_SIGNING_KEY: the 12345 platform checks the signature")
        if self.CLASSIFIER_BACKEND not in ("onnx", "torch"):
            raise ConfigError(f"CLASSIFIER_BACKEND must be onnx or torch, not {self.CLASSIFIER_BACKEND!r}")
        if self.PAY_PAID_AFTER_CLOSE not in ("refund", "hold"):
            raise ConfigError(f"PAY_PAID_AFTER_CLOSE must be refund or hold, not {self.PAY_PAID_AFTER_CLOSE!r}")
        if self.WECHATPAY_MCHID:
            missing = [name for name in ("WECHATPAY_CERT_SERIAL", "WECHATPAY_PRIVATE_KEY_FILE", "WECHATPAY_APIV3_KEY",
                                         "WECHATPAY_PUBLIC_KEY_FILE", "WECHATPAY_PUBLIC_KEY_ID",
                                         "WECHATPAY_NOTIFY_URL", "WECHATPAY_REFUND_NOTIFY_URL")
                       if not getattr(self, name)]
            if missing:
                raise ConfigError(f"WECHATPAY_MCHID is set but {', '.join(missing)} are not")
            if len(self.WECHATPAY_APIV3_KEY.encode()) != 32:
                raise ConfigError("WECHATPAY_APIV3_KEY must be 32 bytes (the AES-256-GCM key of notifies)")
        if self.MEDIA_BACKEND not in ("local", "s3"):
            raise ConfigError(f"MEDIA_BACKEND must be local or s3, not {self.MEDIA_BACKEND!r}")
        self._check_gas()
        if not 1 <= self.MEDIA_DERIVE_THREADS <= 64:
            raise ConfigError("MEDIA_DERIVE_THREADS must be between 1 and 64")

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.CORS_ORIGINS.split(",") if o.strip()]

    @property
    def open311_endpoints(self) -> list[tuple[str, str]]:
        if not self.OPEN311_ENDPOINTS.strip():
            kind = "production" if self.ENV == "production" else "test"
            return [(kind, self.PUBLIC_BASE_URL.rstrip("/") + "/open311/v2")]
        pairs = [item.split("=", 1) for item in self.OPEN311_ENDPOINTS.split(",") if item.strip()]
        return [(kind.strip(), url.strip()) for kind, url in pairs]

    def _check_open311(self) -> None:
        for item in (i for i in self.OPEN311_ENDPOINTS.split(",") if i.strip()):
            kind, _, url = item.partition("=")
            if kind.strip() not in ("production", "test") or not re.match(r"https?://", url.strip()):
                raise ConfigError(f"OPEN311_ENDPOINTS: {item!r} is not type=url (type production or test)")

    def _check_cors(self) -> None:
        for origin in self.cors_origins:
            if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin):
                raise ConfigError(f"CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port]); \"*\" is refused")
        if self.cors_origins and self.ENV == "production":
            raise ConfigError("CORS_ORIGINS is for the development stand-in of the mini-program: production answers "
                              "no browser origin (the real mini-program does not use CORS)")

    def _check_gas(self) -> None:
        if len(self.GAS_HAZARD_DAYS) != 3 or any(d < 0 or d > 366 for d in self.GAS_HAZARD_DAYS):
            raise ConfigError("GAS_HAZARD_DAYS must be three day counts (一级,二级,三级), each 0–366")
        if self.GAS_REPAIR_ALERT_URL and not self.GAS_REPAIR_SIGNING_KEY:
            raise ConfigError("GAS_REPAIR_ALERT_URL needs GAS_REPAIR_SIGNING_KEY: the gas company checks the signature")
        if not 1 <= self.GAS_BADGE_VALID_DAYS <= 3660:
            raise ConfigError("GAS_BADGE_VALID_DAYS must be between 1 and 3660")

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    def derived_key(self, purpose: str) -> bytes:
        """The 32-byte key for one `purpose`, derived from SECRET_KEY by HKDF-SHA256 (RFC 5869, `cryptography`'s):
        the one derivation every key made from SECRET_KEY uses — signatures, the device secrets' Fernet key."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=f"suiyun-city:{purpose}".encode()).derive(self.SECRET_KEY.encode())

    def signature(self, purpose: str, text: str) -> str:
        """HMAC-SHA256 of `text` under the key for one `purpose` (a receipt's link, its QR, an inspector's badge: a
        signature for one never passes for another), 32 hex characters."""
        return hmac.new(self.derived_key(purpose), text.encode(), hashlib.sha256).hexdigest()[:32]

    def signature_holds(self, purpose: str, text: str, signature: str) -> bool:
        """Whether `signature` is this purpose's signature of `text` — or the one made before keys were derived by
        HKDF (a plain SHA-256 of SECRET_KEY and the purpose), so receipts, QR codes and badges already printed
        keep verifying. Constant-time."""
        given = signature.encode("utf-8", "replace")
        legacy_key = hashlib.sha256(f"{self.SECRET_KEY}:{purpose}".encode()).digest()
        legacy = hmac.new(legacy_key, text.encode(), hashlib.sha256).hexdigest()[:32]
        return any([hmac.compare_digest(self.signature(purpose, text).encode(), given),
                    hmac.compare_digest(legacy.encode(), given)])


def _coerce(name: str, raw: str, kind: str) -> object:
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        if kind.startswith("list[int]"):
            return _int_list(raw)
        if kind.startswith("tuple[float"):
            return tuple(float(v) for v in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind}") from exc
    return raw


_active: Config | None = None


def init_config(config: Config) -> Config:
    """Make `config` the process's active configuration (app factory and worker boot call this)."""
    global _active
    _active = config
    return config


def get_config() -> Config:
    if _active is None:
        raise ConfigError("configuration not initialised: call create_app() or workers boot first")
    return _active
