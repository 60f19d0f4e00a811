"""One harness for everything that runs the real stack on this machine (every benchmark, `make fuzz`).

`Stack` gives a throwaway PostgreSQL database (created, migrated, dropped), a Redis database of its own (flushed
before and after), the WeChat simulator as its own process (optionally answering after a network's latency),
gunicorn with the repository's gunicorn.conf.py on a free port with the matching environment,
a health wait, RQ workers, and a teardown that ends every process it started (their whole process groups) and
removes its files. Ports are free ports chosen at start, so two runs never collide. `wrk()` runs a load and
parses its rate and latency percentiles, `percentiles()` does the same for timings taken here, and `Table`
prints one table per benchmark (and a JSON line for machines).

    with Stack(workers=4) as stack:
        stack.seed()                       # demo organisation, taxonomy, staff
        stack.start_api()
        table = Table("my benchmark")
        table.add("GET /health", **wrk(stack, script, duration=10, connections=8))
        table.print()
"""

from __future__ import annotations

import collections
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL_BASE = os.environ.get("BENCH_PG_URL_BASE", "postgresql+psycopg://postgres@127.0.0.1:5432/")
REDIS_BASE = os.environ.get("BENCH_REDIS_BASE", "redis://127.0.0.1:6379/")
APPID, APPSECRET = "wxbench000000001", "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _free_redis_db() -> int:
    """A Redis database nobody else here uses (the tests use 11); claimed with a marker key."""
    import redis

    for number in range(2, 16):
        if number == 11:
            continue
        connection = redis.Redis.from_url(f"{REDIS_BASE}{number}")
        if connection.set("harness:claimed", os.getpid(), nx=True, ex=3600):
            return number
    raise RuntimeError("no free Redis database (2–15)")


class _Simulator:
    """The WeChat simulator as its own process (as WeChat is not in the API's process either), under gunicorn so
    that connections stay open as WeChat's do: one process (its state is in memory), a thread per connection."""

    def __init__(self, stack: Stack, latency_ms: float, pay_file: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # The simulator's state is in memory, so its one worker must never be recycled: gunicorn reads
        # ./gunicorn.conf.py (the API's: max_requests 20,000) from the working directory unless told otherwise, and
        # a recycled simulator forgot every login code it had given (WECHAT_CODE_INVALID to the end of the run).
        stack.spawn([str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", "64",
                     "--keep-alive", "75", "--max-requests", "0", "--timeout", "600", "-b", f"127.0.0.1:{self.port}",
                     "--log-level", "warning",
                     "miniprogram_mock.wsgi:app"],
                    env={**os.environ, "MOCK_APPS": f"{APPID}:{APPSECRET}", "MOCK_LATENCY_MS": str(latency_ms),
                         "MOCK_PAY": str(pay_file), "MOCK_ISSUER": "suiyun-bench:bench-issuer-secret"})
        wait_for(self.url + "_mock/calls")

    def latency(self, ms: float) -> None:
        """From now on, msgSecCheck, imgSecCheck, subscribe send and jscode2session answer `ms` later."""
        requests.post(self.url + "_mock/config", json={"latency_ms": ms}, timeout=10).raise_for_status()

    def calls(self) -> dict:
        return requests.get(self.url + "_mock/calls", timeout=10).json()

    def stop(self) -> None:
        pass  # its process group is ended with the stack's


class Stack:
    def __init__(self, workers: int = 4, env: dict[str, str] | None = None, wechat_latency_ms: float = 0):
        self.workers = workers
        self.wechat_latency_ms = wechat_latency_ms
        self.extra_env = env or {}
        self.db_name = f"suiyun_harness_{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.mock = None
        self.config = None
        self.work = Path(tempfile.mkdtemp(prefix="suiyun-harness-"))  # scripts, photos: removed at teardown
        self._app = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        from api.config import Config
        from api.migrate import upgrade

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.redis_db = _free_redis_db()
        try:
            self.env = {**os.environ}
            pay_env, pay_file = self._pay_keys()
            self.mock = _Simulator(self, self.wechat_latency_ms, pay_file)
            self.env = {**os.environ, "ENV": "development", **pay_env,
                        "WECHATPAY_API_BASE": self.mock.url.rstrip("/"),
                        "WECHATPAY_NOTIFY_URL": f"{self.api}/fees/wechatpay/notify",
                        "WECHATPAY_REFUND_NOTIFY_URL": f"{self.api}/fees/wechatpay/refund-notify",
                        "ISSUER_API_BASE": self.mock.url, "ISSUER_APP_ID": "suiyun-bench",
                        "ISSUER_SECRET": "bench-issuer-secret", "PUBLIC_BASE_URL": self.api,
                        "DATABASE_URL": PG_URL_BASE + self.db_name, "REDIS_URL": f"{REDIS_BASE}{self.redis_db}",
                        "SECRET_KEY": "harness-secret-" + "k" * 40, "MEDIA_SIGNING_KEY": "harness-media-" + "m" * 40,
                        "WECHAT_APPID": APPID, "WECHAT_SECRET": APPSECRET, "WECHAT_API_BASE": self.mock.url,
                        "MEDIA_DIR": str(self.work / "media"), "MODEL_DIR": str(self.work / "models"),
                        **self.extra_env}
            upgrade(self.env["DATABASE_URL"])
            self.config = Config.from_env(self.env)
        except BaseException:
            self.__exit__(None, None, None)  # nothing left behind by a stack that did not start
            raise
        return self

    def _pay_keys(self) -> tuple[dict[str, str], Path]:
        """WeChat Pay for this run: fresh merchant and platform keys; the simulator's merchant file."""
        from miniprogram_mock.paystate import generate_rsa_pem

        merchant_private, merchant_public = generate_rsa_pem()
        self.platform_private, platform_public = generate_rsa_pem()
        self.pay = {"mchid": "1900000109", "appid": APPID, "serial_no": uuid.uuid4().hex.upper(),
                    "merchant_public_key": merchant_public, "apiv3_key": uuid.uuid4().hex,
                    "platform_private_key": self.platform_private, "public_key_id": "PUB_KEY_ID_BENCH0001"}
        pay_file = self.work / "pay-merchant.json"
        pay_file.write_text(json.dumps(self.pay))
        (self.work / "merchant.pem").write_text(merchant_private)
        (self.work / "platform_public.pem").write_text(platform_public)
        return {"WECHATPAY_MCHID": self.pay["mchid"], "WECHATPAY_CERT_SERIAL": self.pay["serial_no"],
                "WECHATPAY_PRIVATE_KEY_FILE": str(self.work / "merchant.pem"),
                "WECHATPAY_APIV3_KEY": self.pay["apiv3_key"],
                "WECHATPAY_PUBLIC_KEY_FILE": str(self.work / "platform_public.pem"),
                "WECHATPAY_PUBLIC_KEY_ID": self.pay["public_key_id"]}, pay_file

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def dsn(self) -> str:
        """For psycopg directly (COPY, counts)."""
        return self.env["DATABASE_URL"].replace("+psycopg", "")

    def redis(self):
        import redis

        return redis.Redis.from_url(self.env["REDIS_URL"])

    def start_api(self) -> None:
        """gunicorn with the repository's gunicorn.conf.py (the production settings), on this stack's port."""
        self.spawn([str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                    "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"])
        wait_for(self.api + "/health")

    def spawn(self, args: list[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env=env or self.env, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def start_workers(self, *queues: str, count: int = 1, simple: bool = False) -> list[subprocess.Popen]:
        """`count` RQ worker processes on `queues` (all queues when none are named)."""
        args = [sys.executable, "-m", "workers.worker", *queues] + (["--simple"] if simple else [])
        return [self.spawn(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]

    def drain(self, *queues: str, simple: bool = False) -> float:
        """Run one worker in burst mode over `queues` until they are empty; returns the seconds it took."""
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workers.worker", "--burst", *queues] + (["--simple"] if simple else []),
                       cwd=ROOT, env=self.env, check=True, capture_output=True)
        return time.perf_counter() - started

    def __exit__(self, *exc) -> None:
        import redis

        for proc in self.procs:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=15)
                    break
                except subprocess.TimeoutExpired:
                    continue
        redis.Redis.from_url(f"{REDIS_BASE}{self.redis_db}").flushdb()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        shutil.rmtree(self.work, ignore_errors=True)

    # -- data ---------------------------------------------------------------------------------------------
    def app_context(self):
        """An app context in this process (one app per stack: every extra app would keep its own engine, pool and
        metadata alive for the rest of the run)."""
        from api import create_app

        if self._app is None:
            self._app = create_app(self.config)
        return self._app.app_context()

    def seed(self, password: str = "harness-password") -> None:
        from api.db import unit_of_work
        from api.seed import seed_demo

        with self.app_context(), unit_of_work():
            seed_demo(password)

    def citizen_token(self, openid: str) -> str:
        code = requests.post(self.mock.url + "_mock/login-code", json={"openid": openid}, timeout=10).json()["code"]
        return requests.post(self.api + "/auth/wechat-login", json={"code": code}, timeout=10).json()["access_token"]

    def staff_token(self, username: str, roles: set[str], ttl_s: int = 3600, **scope) -> str:
        """A staff account made for this run (district-wide unless `scope` says otherwise) and its token."""
        from api.db import unit_of_work
        from api.identity import service, tokens
        from api.roles import Role

        with self.app_context():
            with unit_of_work():
                user = service.create_staff(username, uuid.uuid4().hex, {Role(r) for r in roles}, **scope)
            return tokens.issue(user.id, "staff", self.config.SECRET_KEY, ttl_s)[0]

    def token_for(self, username: str, ttl_s: int = 3600) -> str:
        """A token for an account that exists (a seeded demo account)."""
        import sqlalchemy as sa

        from api.db import Session
        from api.identity import tokens
        from api.identity.models import User

        with self.app_context():
            user_id = Session.scalar(sa.select(User.id).where(User.username == username))
            return tokens.issue(user_id, "staff", self.config.SECRET_KEY, ttl_s)[0]


def photo_1080p(path: Path) -> None:
    """A photo-like 1920×1080 JPEG (sky gradient, façades, sensor noise): ~0.5 MB, like a phone's 1080p shot."""
    from PIL import Image, ImageDraw, ImageFilter

    img = Image.linear_gradient("L").resize((1920, 1080)).convert("RGB")
    img = Image.merge("RGB", [c.point(lambda v, k=k: int(90 + v * (0.3 + 0.2 * k))) for k, c in enumerate(img.split())])
    draw = ImageDraw.Draw(img)
    for i in range(40):
        x = (i * 97) % 1800
        draw.rectangle([x, 400 + (i * 37) % 300, x + 120, 1080], fill=(120 + i % 90, 110 + (i * 7) % 80, 100))
        for wy in range(450 + (i * 37) % 300, 1060, 40):
            draw.rectangle([x + 10, wy, x + 40, wy + 20], fill=(40, 60, 80 + i % 50))
    noise = Image.merge("RGB", [Image.effect_noise((1920, 1080), 30) for _ in range(3)])
    img = Image.blend(img.filter(ImageFilter.SMOOTH), noise, 0.18)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())


# -- measuring ------------------------------------------------------------------------------------------------
_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\b", re.M)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(stack: Stack, script: str | Path, *, duration: int = 15, connections: int = 8, threads: int = 2) -> dict:
    """Run wrk with a Lua script (its text, or a path) against the stack's API; rate, p50/p90/p99 in ms, the
    non-2xx and socket-error counts (a benchmark that only measured errors is not a figure), and the kinds of
    error answer seen (status and error code, counted) so that a figure with errors says what they were."""
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (the make bench-* targets do this)")
    errors_file = stack.work / f"errors-{uuid.uuid4().hex[:8]}.txt"
    text = script.read_text() if isinstance(script, Path) else script
    if "response = function" not in text:
        text += _ERROR_SAMPLER % {"path": errors_file}
    script = stack.work / f"script-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(text)
    out = subprocess.run(["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", str(script), stack.api], capture_output=True, text=True, check=True).stdout
    latency = {f"p{q}": round(float(v) * _UNIT_MS[u], 2) for q, v, u in _LATENCY.findall(out)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency.get("p50"),
            "p90": latency.get("p90"), "p99": latency.get("p99"), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1).strip() if errors else "", **_error_kinds(errors_file)}


# Each wrk thread appends the status and error code of a non-2xx answer to a file (the envelope's "code").
_ERROR_SAMPLER = """
response = function(status, headers, body)
  if status >= 300 then
    local f = io.open("%(path)s", "a")
    f:write(status .. " " .. (string.match(body, '"code"%%s*:%%s*"([^"]+)"') or "-") .. "\\n")
    f:close()
  end
end
"""


def _error_kinds(path: Path) -> dict:
    if not path.exists():
        return {}
    kinds = collections.Counter(path.read_text().split("\n")[:-1])
    return {"errors": ", ".join(f"{kind} ×{n}" for kind, n in kinds.most_common(5))}


def percentiles(samples_ms: list[float], points: tuple[int, ...] = (50, 90, 99)) -> dict:
    """Nearest-rank percentiles of timings taken in this process (ms)."""
    if not samples_ms:
        return {f"p{p}": None for p in points}
    ordered = sorted(samples_ms)
    picked = {f"p{p}": round(ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))], 2)
              for p in points}
    return {**picked, "mean": round(statistics.fmean(ordered), 2), "n": len(ordered)}


def paced(rate: float, seconds: float, one) -> None:
    """Call one(n) for n = 0, 1, … at a steady `rate` per second for `seconds`, each in its own thread (a slow
    answer does not delay the next arrival); returns when every call has."""
    import threading

    threads = []
    begin = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = begin + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one, args=(n,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


def timed(func, *args, **kwargs) -> tuple[object, float]:
    """(result, milliseconds)."""
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


class Table:
    """One printed table per benchmark: a row per measurement, the same columns for all, then a JSON line."""

    COLUMNS = (("rate", "{:>9.1f}/s"), ("p50", "p50 {:>8.1f} ms"), ("p90", "p90 {:>8.1f} ms"),
               ("p99", "p99 {:>8.1f} ms"), ("non_2xx", "non-2xx {}"))

    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, dict]] = []
        self.notes: list[str] = []

    def add(self, label: str, **figures) -> None:
        self.rows.append((label, figures))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def print(self) -> None:
        print(f"\n{self.title} — {os.cpu_count()} CPUs")
        width = max((len(label) for label, _ in self.rows), default=10) + 2
        for label, figures in self.rows:
            cells = [fmt.format(figures[key]) for key, fmt in self.COLUMNS if figures.get(key) is not None]
            extra = [f"{k} {v}" for k, v in figures.items()
                     if k not in dict(self.COLUMNS) and k != "socket_errors" and v not in (None, "")]
            if figures.get("socket_errors"):
                extra.append(f"socket errors: {figures['socket_errors']}")
            print(f"  {label:<{width}}" + "   ".join(cells + extra))
        for text in self.notes:
            print(f"  {text}")
        print(json.dumps({"benchmark": self.title, "rows": {label: figures for label, figures in self.rows},
                          "notes": self.notes}, ensure_ascii=False, default=str))
