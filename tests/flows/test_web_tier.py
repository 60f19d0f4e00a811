"""The production web tier as configured in gunicorn.conf.py (threaded workers) serves concurrent requests: logins
that wait on WeChat, creations and reads from several threads of one process at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import BAIYUN_GCJ, start_web, stop_group

pytestmark = pytest.mark.flow


def test_threaded_workers_serve_logins_and_reports_at_once(committed, config, wechat):
    base, proc = start_web(config, WEB_WORKERS="1", WEB_THREADS="4", LOGIN_MAX_PER_IP_PER_MIN="1000")
    try:
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
