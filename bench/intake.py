"""Intake benchmark: report creations/s and photo uploads/s under gunicorn, PostgreSQL, Redis, simulator.

Run with `make bench-intake` (needs wrk; the Make target installs it from Debian's packages). Prints:
creations/s (authenticated, with the msgSecCheck call), photo uploads/s (1080p JPEG, accepted and
stored), each sustained for DURATION seconds with 16 concurrent connections, p50/p99 latency, and the
rate at which a worker makes the photo derivatives afterwards.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DURATION = int(os.environ.get("BENCH_DURATION", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
API_PORT, MOCK_PORT = 18100, 18101
APPID, SECRET = "wxbench000000001", "bench-secret"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
USERS = 16
DRAFTS = 500  # 9 photos each at most: room for 4,500 uploads

CREATE_LUA = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local body = '{"description":"路边垃圾堆放很久没人清理","location":{"lat":23.1625,"lon":113.2628},' ..
  '"category_hint":"exposed_garbage"}'
local i = 0
request = function()
  i = i + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[(i %% #tokens) + 1]}
  return wrk.format("POST", "/reports", headers, body)
end
"""

UPLOAD_LUA = """
local pairs_ = {}
for line in io.lines("%(drafts)s") do
  local id, token = line:match("(%%d+) (.+)")
  pairs_[#pairs_ + 1] = {id, token}
end
local f = io.open("%(photo)s", "rb"); local photo = f:read("*all"); f:close()
local boundary = "----bench7MA4YWxkTrZu0gW"
local body = "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"photo\\"; filename=\\"p.jpg\\"\\r\\n" ..
  "Content-Type: image/jpeg\\r\\n\\r\\n" .. photo .. "\\r\\n--" .. boundary .. "--\\r\\n"
local i = 0
local offset = 0
local threads = 0
init = function(args) offset = tonumber(wrk.thread:get("offset")) or 0 end
request = function()
  i = i + 1  -- thread k takes drafts k, k+2, k+4 …: each draft gets at most its 9 photos
  local p = pairs_[((i * 2 + offset) %% #pairs_) + 1]
  local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
                   ["Authorization"] = "Bearer " .. p[2]}
  return wrk.format("POST", "/reports/" .. p[1] .. "/photos", headers, body)
end
setup = function(thread) thread:set("offset", threads); threads = threads + 1 end
"""


def photo_1080p(path: Path) -> None:
    """A photo-like 1920×1080 JPEG (sky gradient, façades, sensor noise): ~0.5 MB, like a phone's 1080p shot."""
    from PIL import ImageDraw, ImageFilter

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


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def run_wrk(script: Path, label: str) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{API_PORT}"], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"label": label, "rate": rate, "p50": latency.get("50"), "p99": latency.get("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else ""}


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench-intake does this)")
    dbname = f"suiyun_bench_{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    env = {**os.environ, "ENV": "development", "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}",
           "REDIS_URL": "redis://127.0.0.1:6379/12", "SECRET_KEY": "bench-" + "s" * 40,
           "MEDIA_SIGNING_KEY": "bench-" + "m" * 40, "WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET,
           "WECHAT_API_BASE": f"http://127.0.0.1:{MOCK_PORT}/", "MEDIA_DIR": str(work / "media"),
           "LOGIN_MAX_PER_IP_PER_MIN": "100000"}
    procs = []
    try:
        from api.migrate import upgrade

        upgrade(env["DATABASE_URL"])
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        procs.append(subprocess.Popen([sys.executable, "-m", "miniprogram_mock.server", "--port", str(MOCK_PORT),
                                       "--app", f"{APPID}:{SECRET}"], cwd=ROOT, env=env))
        procs.append(subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(WORKERS), "-b",
                                       f"127.0.0.1:{API_PORT}", "--log-level", "warning", "wsgi:app"],
                                      cwd=ROOT, env=env))
        wait_for(f"http://127.0.0.1:{MOCK_PORT}/_mock/calls")
        wait_for(f"http://127.0.0.1:{API_PORT}/health")
        api, mock = f"http://127.0.0.1:{API_PORT}", f"http://127.0.0.1:{MOCK_PORT}/"

        tokens = []
        for n in range(USERS):
            code = requests.post(mock + "_mock/login-code", json={"openid": f"bench-{n}"}).json()["code"]
            tokens.append(requests.post(api + "/auth/wechat-login", json={"code": code}).json()["access_token"])
        (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        (work / "create.lua").write_text(CREATE_LUA % {"tokens": work / "tokens.txt"})
        create = run_wrk(work / "create.lua", "report creations")

        drafts = []
        body = {"description": "上传压测", "location": {"lat": 23.1625, "lon": 113.2628}}
        for n in range(DRAFTS):
            token = tokens[n % USERS]
            rid = requests.post(api + "/reports", json=body, headers={"Authorization": f"Bearer {token}"}).json()["id"]
            drafts.append(f"{rid} {token}")
        (work / "drafts.txt").write_text("\n".join(drafts) + "\n")
        photo_1080p(work / "photo.jpg")
        (work / "upload.lua").write_text(UPLOAD_LUA % {"drafts": work / "drafts.txt", "photo": work / "photo.jpg"})
        upload = run_wrk(work / "upload.lua", "photo uploads (1080p JPEG)")

        with psycopg.connect(env["DATABASE_URL"].replace("+psycopg", "")) as conn:
            stored = conn.execute("SELECT count(*) FROM media").fetchone()[0]
            created = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        pending = redis.Redis.from_url(env["REDIS_URL"]).llen("rq:queue:default")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workers.worker", "--burst", "default"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        derivative_rate = pending / (time.perf_counter() - started) if pending else 0.0

        print(f"\nintake benchmark — {DURATION}s, {CONNECTIONS} connections, gunicorn {WORKERS} sync workers, "
              f"{os.cpu_count()} CPUs")
        for r in (create, upload):
            print(f"  {r['label']:<28} {r['rate']:8.1f}/s   p50 {r['p50']:>8}   p99 {r['p99']:>8}   "
                  f"non-2xx {r['non_2xx']}   {r['socket_errors']}")
        size = (work / "photo.jpg").stat().st_size
        print(f"  rows: {created} reports, {stored} photos stored; photo size {size} bytes")
        print(f"  derivatives (display + thumb) {derivative_rate:8.1f} photos/s  ({pending} jobs, one worker)")
        print(json.dumps({"create": create, "upload": upload, "derivatives_per_s": round(derivative_rate, 1)}))
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=20)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
