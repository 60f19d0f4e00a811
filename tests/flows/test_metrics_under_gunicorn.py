"""/metrics under the production web tier: two gunicorn processes count into PROMETHEUS_MULTIPROC_DIR and either
one's scrape adds up both; requests carry an X-Request-ID."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import config_env, free_port, spawn, stop_group

pytestmark = pytest.mark.flow
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-flow-token-0123456789"


def _health_count(base: str) -> float:
    answer = requests.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200
    return sum(s.value for family in text_string_to_metric_families(answer.text) for s in family.samples
               if s.name == "http_request_duration_seconds_count" and s.labels.get("endpoint") == "health")


def _processes(folder: Path) -> set[str]:
    return {p.stem.rsplit("_", 1)[1] for p in folder.glob("histogram_*.db")}


def test_two_web_processes_are_counted_together(committed, config, tmp_path):
    port = free_port()
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**config_env(config), "WEB_WORKERS": "2", "WEB_THREADS": "2", "WEB_BIND": f"127.0.0.1:{port}",
           "METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    proc = spawn([str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                 cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(base + "/ready", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        assert requests.get(base + "/metrics", timeout=5).status_code == 404  # no token: nothing there
        sent = 0
        while sent < 30 or (len(_processes(folder)) < 2 and sent < 500):  # new connections, spread over both
            answer = requests.get(base + "/health", headers={"X-Request-ID": "probe-0123456789"}, timeout=5)
            assert answer.headers["X-Request-ID"] == "probe-0123456789"
            sent += 1
        assert len(_processes(folder)) == 2  # both processes counted into the folder
        assert [_health_count(base) for _ in range(4)] == [float(sent)] * 4  # whichever one answers adds up both
    finally:
        stop_group(proc.pid, proc=proc)
