"""One harness for everything that runs the real stack on this machine (benchmarks, `make fuzz`).

`Stack` gives a throwaway PostgreSQL database (created, migrated, dropped), a Redis database of its own (flushed
before and after), the WeChat simulator in this process, gunicorn on a free port with the matching environment,
a health wait, and a teardown that ends every process it started (their whole process groups). Ports are free
ports chosen at start, so two runs never collide.

    with Stack(workers=4) as stack:
        stack.seed()                       # demo organisation, taxonomy, staff
        requests.get(stack.api + "/health")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
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


class Stack:
    def __init__(self, workers: int = 4, env: dict[str, str] | None = None):
        self.workers = workers
        self.extra_env = env or {}
        self.db_name = f"suiyun_harness_{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.mock = None
        self.config = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        from api.config import Config
        from api.migrate import upgrade
        from miniprogram_mock.server import MockServer

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.redis_db = _free_redis_db()
        self.mock = MockServer({APPID: APPSECRET}, port=free_port()).start()
        self.env = {**os.environ, "ENV": "development",
                    "DATABASE_URL": PG_URL_BASE + self.db_name, "REDIS_URL": f"{REDIS_BASE}{self.redis_db}",
                    "SECRET_KEY": "harness-secret-" + "k" * 40, "MEDIA_SIGNING_KEY": "harness-media-" + "m" * 40,
                    "WECHAT_APPID": APPID, "WECHAT_SECRET": APPSECRET, "WECHAT_API_BASE": self.mock.url,
                    "MEDIA_DIR": f"/tmp/{self.db_name}-media", "MODEL_DIR": f"/tmp/{self.db_name}-models",
                    **self.extra_env}
        upgrade(self.env["DATABASE_URL"])
        self.config = Config.from_env(self.env)
        return self

    def start_api(self) -> None:
        self.spawn([str(Path(sys.executable).parent / "gunicorn"), "-w", str(self.workers), "-b",
                    f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"])
        wait_for(self.api + "/health")

    def spawn(self, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True)
        self.procs.append(proc)
        return proc

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
        if self.mock is not None:
            self.mock.stop()
        redis.Redis.from_url(f"{REDIS_BASE}{self.redis_db}").flushdb()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    # -- data ---------------------------------------------------------------------------------------------
    def app_context(self):
        from api import create_app

        return create_app(self.config).app_context()

    def seed(self, password: str = "harness-password") -> None:
        from api.seed import seed_demo

        with self.app_context():
            seed_demo(password)

    def citizen_token(self, openid: str) -> str:
        code = requests.post(self.mock.url + "_mock/login-code", json={"openid": openid}, timeout=10).json()["code"]
        return requests.post(self.api + "/auth/wechat-login", json={"code": code}, timeout=10).json()["access_token"]

    def staff_token(self, username: str, roles: set[str], ttl_s: int = 3600) -> str:
        """A staff account made for this run (district-wide) and its token."""
        from api.db import Session
        from api.identity import service, tokens
        from api.roles import Role

        with self.app_context():
            user = service.create_staff(username, uuid.uuid4().hex, {Role(r) for r in roles})
            Session.commit()
            return tokens.issue(user.id, "staff", self.config.SECRET_KEY, ttl_s)[0]
