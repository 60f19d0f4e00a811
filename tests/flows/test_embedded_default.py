"""`make run` cannot rot unnoticed: the dev server on SQLite + embedded Redis, migrated from scratch,
serves requests and its worker child delivers a job."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support import free_port, group_members, spawn, stop_group

pytestmark = pytest.mark.flow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def devserver(tmp_path):
    api_port, mock_port, redis_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "WECHAT_API_BASE")}
    proc = spawn([sys.executable, "-m", "api.devserver", "--var", str(tmp_path / "var"),
                  "--port", str(api_port), "--mock-port", str(mock_port), "--redis-port", str(redis_port)],
                 cwd=ROOT, env=env,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{api_port}"
    try:
        for _ in range(600):  # the first start migrates and seeds the demo (~5 s idle, more on a loaded machine)
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            raise AssertionError("dev server did not become healthy")
        yield base, f"http://127.0.0.1:{mock_port}/", tmp_path / "var", redis_port
    finally:
        stop_group(proc.pid, proc=proc)
        assert group_members(proc.pid) == []  # the dev server's workers and clock are gone too


def test_dev_server_serves_and_its_worker_runs_jobs(devserver):
    base, mock, var, redis_port = devserver
    assert (var / "dev.db").exists() and (var / "dev-secrets.env").exists()
    assert requests.get(base + "/ready").json()["checks"] == {"database": "ok", "redis": "ok", "migrations": "ok"}
    assert requests.get(base + "/docs").status_code == 200

    password = dict(line.split("=", 1) for line in (var / "dev-secrets.env").read_text().splitlines())["DEMO_PASSWORD"]
    staff = requests.post(base + "/auth/staff-login", json={"username": "clerk", "password": password})
    assert staff.status_code == 200
    # a second shell runs commands against the running server with var/dev.env, as docs/development.md prints
    env = dict(line.split("=", 1) for line in (var / "dev.env").read_text().splitlines())
    assert env["REDIS_URL"] == f"redis://127.0.0.1:{redis_port}/0"  # the fixed port it was given
    unlocked = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "staff-unlock", "clerk"],
                              cwd=ROOT, env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True)
    assert unlocked.returncode == 0 and "cleared" in unlocked.stdout, unlocked.stderr

    # the mini-program stand-in, as the banner prints it: it knows the API, and the API answers its origin
    settings = requests.get(mock + "h5/config.json").json()
    assert settings["api"] == base and settings["demo_point_gcj02"]["lat"] > 23
    preflight = requests.options(base + "/reports", headers={"Origin": mock.rstrip("/"),
                                                              "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == mock.rstrip("/")

    code = requests.post(mock + "_mock/login-code", json={"openid": "smoke-citizen"}).json()["code"]
    token = requests.post(base + "/auth/wechat-login", json={"code": code}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    report = requests.post(base + "/reports", json={"description": "冒烟测试", "location": {
        "lat": 23.1625, "lon": 113.2628}}, headers=headers).json()
    from tests.support import jpeg

    photo = requests.post(f"{base}/reports/{report['id']}/photos", files={"photo": ("p.jpg", jpeg())},
                          headers=headers)
    assert photo.status_code == 201
    thumb = photo.json()["urls"]["thumb"]
    for _ in range(100):  # the worker child makes the thumbnail
        response = requests.get(thumb)
        if response.status_code == 200 and len(response.content) < len(jpeg()):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the worker child did not make the derivatives")


def test_dev_server_classifies_routes_and_dispatches_on_its_own(devserver):
    """make run's classify worker (embedded Redis, SQLite) takes a clear report to a department by itself, and
    the demo citizen receives the progress messages (the demo grants the subscription on both sides)."""
    base, mock, _, _ = devserver
    code = requests.post(mock + "_mock/login-code", json={"openid": "demo-citizen"}).json()["code"]
    headers = {"Authorization": "Bearer " + requests.post(base + "/auth/wechat-login", json={"code": code}).json()[
        "access_token"]}
    report = requests.post(base + "/reports", json={"description": "小区门口垃圾堆积三天没人清理",
                                                    "category_hint": "exposed_garbage",
                                                    "location": {"lat": 23.1625, "lon": 113.2628}},
                           headers=headers).json()
    from tests.support import jpeg

    requests.post(f"{base}/reports/{report['id']}/photos", files={"photo": ("p.jpg", jpeg())}, headers=headers)
    assert requests.post(f"{base}/reports/{report['id']}/submit", headers=headers).status_code == 200
    # the first classify job may export the backbone to ONNX (a few seconds, once), and the demo's own ~30 intake
    # jobs go first: a generous bound, not a timing (a loaded 2-core machine took 28-44 s)
    for _ in range(900):
        seen = requests.get(f"{base}/reports/{report['id']}", headers=headers).json()
        assert "status" in seen, seen
        if seen["status"] == "handling":
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the report was not dispatched by the automatic intake")
    for _ in range(100):
        phrases = [m["data"]["phrase3"]["value"] for m in requests.get(mock + "_mock/messages",
                                                                         params={"touser": "demo-citizen"}).json()]
        if "处置中" in phrases:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the demo citizen was not notified: {phrases}")


def test_dev_server_seeds_demo_devices_that_can_send_signed_data(devserver):
    """make run registers demo devices, keeps their secrets in var/, and scripts/device_send.py gets through."""
    import json

    base, _, var, _ = devserver
    known = json.loads((var / "demo-devices.json").read_text())
    assert {"DEMO-CAM-1", "DEMO-PM-1", "DEMO-DRONE-1"} <= set(known)
    body = json.dumps({"readings": [{"kind": "pm25", "value": 42}]})
    # as docs/development.md prints it: python3 from a fresh shell, outside the virtualenv
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")} | {"PATH": path}
    python3 = shutil.which("python3", path=path) or "/usr/bin/python3"
    sent = subprocess.run([python3, "scripts/device_send.py", "DEMO-PM-1", "readings", body,
                           "--secret", known["DEMO-PM-1"], "--api", base], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    assert sent.returncode == 0 and sent.stdout.startswith("201"), sent.stdout + sent.stderr
