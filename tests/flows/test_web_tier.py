"""The production web tier as configured in gunicorn.conf.py (threaded workers) serves concurrent requests: logins
that wait on WeChat, creations and reads from several threads of one process at once."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support import BAIYUN_GCJ, config_env, free_port, spawn, stop_group

pytestmark = pytest.mark.flow
ROOT = Path(__file__).resolve().parents[2]


def test_threaded_workers_serve_logins_and_reports_at_once(committed, config, wechat):
    port = free_port()
    env = {**config_env(config), "WEB_WORKERS": "1", "WEB_THREADS": "4", "WEB_BIND": f"127.0.0.1:{port}",
           "LOGIN_MAX_PER_IP_PER_MIN": "1000"}
    proc = spawn([str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                 cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(base + "/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or the worker still booting
                time.sleep(0.1)
        requests.post(wechat.base + "_mock/config", json={"latency_ms": 200}).raise_for_status()
        codes = [wechat.login_code(f"o-web-{n}") for n in range(8)]

        def login_and_report(code: str) -> int:
            token = requests.post(base + "/auth/wechat-login", json={"code": code}, timeout=10).json()["access_token"]
            created = requests.post(base + "/reports", json={"description": "路边垃圾堆放", "location": BAIYUN_GCJ},
                                    headers={"Authorization": f"Bearer {token}"}, timeout=10)
            return created.status_code

        with ThreadPoolExecutor(8) as pool:  # one process, four threads, every login waiting on WeChat
            assert list(pool.map(login_and_report, codes)) == [201] * 8
    finally:
        requests.post(wechat.base + "_mock/config", json={"latency_ms": 0})
        stop_group(proc.pid, proc=proc)
