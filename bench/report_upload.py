"""Report-upload benchmark at WeChat's real latency: creations, logins, uploads, photo copies, the check backlog.

Run with `make bench-report-upload` (needs wrk; the Make target installs it from Debian's packages). Everything runs on
this machine through the harness: gunicorn with gunicorn.conf.py, PostgreSQL, Redis, the WeChat simulator as its
own process answering msgSecCheck, imgSecCheck, subscribe send and jscode2session after a latency, and one
content-check worker alongside. Prints one table:
- report creations/s with WeChat at 0 ms and at BENCH_WECHAT_LATENCY_MS (default 80), with the content-check
  backlog sampled every second of the latency run (it must not grow);
- WeChat logins/s with jscode2session at that latency;
- 1080p photo uploads/s with imgSecCheck at 0 and at BENCH_IMAGE_LATENCY_MS (default 150);
- photo copies (display + thumb) drained/s by one non-forking media worker (one coalesced run over every photo
  waiting, MEDIA_DERIVE_THREADS threads; the seconds include the worker's start), and at UPLOAD_RATE uploads/s
  the time from upload to the display copy (p50/p95).
Each load runs DURATION seconds with CONNECTIONS concurrent connections. BENCH_LOADS picks loads (a comma list of
create, login, upload, copies; all by default) for measuring one change quickly. The table's first note is
PostgreSQL's fsync and synchronous_commit: the figures count only with both on.
"""

from __future__ import annotations

import os
import threading
import time

import psycopg
import requests
from harness import Stack, Table, paced, percentiles, photo_1080p, wrk

DURATION = int(os.environ.get("BENCH_DURATION", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
LATENCY_MS = float(os.environ.get("BENCH_WECHAT_LATENCY_MS", "80"))
IMAGE_LATENCY_MS = float(os.environ.get("BENCH_IMAGE_LATENCY_MS", "150"))
UPLOAD_RATE = float(os.environ.get("BENCH_UPLOAD_RATE", "10"))
THREADS = int(os.environ.get("MEDIA_DERIVE_THREADS", "2"))
LOADS = set(os.environ.get("BENCH_LOADS", "create,login,upload,copies").split(","))
USERS = 16
DRAFTS = 500  # 9 photos each at most: room for 4,500 uploads per run
PENDING_SQL = ("SELECT (SELECT count(*) FROM reports WHERE content_check = 'pending') + "
               "(SELECT count(*) FROM media WHERE content_check = 'pending')")

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



LOGIN_LUA = """
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local i = 0
local offset = 0
local threads = 0
setup = function(thread) thread:set("offset", threads); threads = threads + 1 end
init = function(args) offset = tonumber(wrk.thread:get("offset")) or 0 end
request = function()
  i = i + 1  -- thread k takes codes k, k+2, k+4 …: each single-use code is used once
  local code = codes[((i * 2 + offset) %% #codes) + 1]
  return wrk.format("POST", "/auth/wechat-login", {["Content-Type"] = "application/json"},
                    '{"code":"' .. code .. '"}')
end
"""


class Backlog:
    """The content-check backlog (pending texts and photos), sampled every second while a load runs."""

    def __init__(self, stack: Stack):
        self.stack, self.samples, self._stop = stack, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Backlog:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.stack.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                self.samples.append(conn.execute(PENDING_SQL).fetchone()[0])
                self._stop.wait(1.0)

    def summary(self) -> str:
        s = self.samples
        return f"backlog start {s[0]}, max {max(s)}, end {s[-1]} (every 1 s: {s})" if s else "no samples"


def new_drafts(stack: Stack, tokens: list[str]) -> list[tuple[int, str]]:
    """DRAFTS drafts (report id, its owner's token) to upload photos to, 9 each at most."""
    body = {"description": "上传压测", "location": {"lat": 23.1625, "lon": 113.2628}}
    return [(requests.post(stack.api + "/reports", json=body, headers={"Authorization": f"Bearer {token}"},
                           timeout=10).json()["id"], token) for token in (tokens[n % USERS] for n in range(DRAFTS))]


def drafts_file(stack: Stack, drafts: list[tuple[int, str]], name: str) -> str:
    """The drafts as the upload script reads them: `<report id> <token>` a line."""
    path = stack.work / name
    path.write_text("".join(f"{rid} {token}\n" for rid, token in drafts))
    return str(path)


def paced_uploads(stack: Stack, tokens: list[str], photo: bytes, rate: float, seconds: float) -> list[int]:
    """Uploads at a steady rate (a thread each); the media ids."""
    ids, lock = [], threading.Lock()
    drafts = new_drafts(stack, tokens)

    def one(n: int) -> None:
        rid, token = drafts[n // 9]
        answer = requests.post(f"{stack.api}/reports/{rid}/photos", files={"photo": ("p.jpg", photo)},
                               headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if answer.status_code == 201:
            with lock:
                ids.append(answer.json()["id"])

    paced(rate, seconds, one)
    return ids


def main() -> None:
    env = {"LOGIN_MAX_PER_IP_PER_MIN": "1000000"}
    with Stack(workers=WORKERS, env=env) as stack:
        stack.start_api()
        stack.start_workers("check", simple=True)  # the content checks run alongside every load
        tokens = [stack.citizen_token(f"bench-{n}") for n in range(USERS)]
        (stack.work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        table = Table(f"report-upload benchmark — {DURATION}s per load, {CONNECTIONS} connections, gunicorn {WORKERS} "
                      f"gthread workers (gunicorn.conf.py), one content-check worker alongside")
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            durability = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in ("fsync", "synchronous_commit")}
        table.note("PostgreSQL: " + ", ".join(f"{name} = {value}" for name, value in durability.items()))
        if "create" in LOADS:
            creations(stack, table)
        if "login" in LOADS:
            logins(stack, table)
        photo = stack.work / "photo.jpg"
        photo_1080p(photo)
        if "upload" in LOADS:
            uploads(stack, table, tokens, photo)
        if "copies" in LOADS:
            copies(stack, table, tokens, photo)
        table.print()


def creations(stack: Stack, table: Table) -> None:
    create = CREATE_LUA % {"tokens": stack.work / "tokens.txt"}
    for latency in (0, LATENCY_MS):
        stack.mock.latency(latency)
        with Backlog(stack) as backlog:
            figures = wrk(stack, create, duration=DURATION, connections=CONNECTIONS)
        table.add(f"report creations, WeChat at {latency:g} ms", **figures)
        table.note(f"content-check backlog during the {latency:g} ms run: {backlog.summary()}")
    stack.mock.latency(0)


def logins(stack: Stack, table: Table) -> None:
    stack.mock.latency(LATENCY_MS)
    codes = requests.post(stack.mock.url + "_mock/login-codes", json={"count": 40_000, "prefix": "bench-login"},
                          timeout=60).json()["codes"]
    (stack.work / "codes.txt").write_text("\n".join(codes) + "\n")
    table.add(f"WeChat logins, jscode2session at {LATENCY_MS:g} ms",
              **wrk(stack, LOGIN_LUA % {"codes": stack.work / "codes.txt"}, duration=DURATION,
                    connections=CONNECTIONS))
    stack.mock.latency(0)


def uploads(stack: Stack, table: Table, tokens: list[str], photo) -> None:
    for latency in (0, IMAGE_LATENCY_MS):
        stack.mock.latency(latency)
        drafts = drafts_file(stack, new_drafts(stack, tokens), f"drafts-{latency:g}.txt")
        table.add(f"photo uploads (1080p JPEG), imgSecCheck at {latency:g} ms",
                  **wrk(stack, UPLOAD_LUA % {"drafts": drafts, "photo": photo}, duration=DURATION,
                        connections=CONNECTIONS))
    stack.mock.latency(0)


def copies(stack: Stack, table: Table, tokens: list[str], photo) -> None:
    """The photos the upload loads left are drained by one media worker; then uploads at a steady rate with a
    media worker running, and the time from each upload to its display copy."""
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        pending = conn.execute("SELECT count(*) FROM media WHERE derived_at IS NULL").fetchone()[0]
    seconds = stack.drain("media", simple=True)
    table.add(f"photo copies (display + thumb) drained, one media worker ({THREADS} threads)",
              rate=pending / seconds if pending else 0, photos=pending, seconds=round(seconds, 1))

    stack.start_workers("media", simple=True)
    ids = paced_uploads(stack, tokens, photo.read_bytes(), UPLOAD_RATE, 20)
    deadline = time.time() + 60
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        while time.time() < deadline and conn.execute(
                "SELECT count(*) FROM media WHERE id = ANY(%s) AND derived_at IS NULL", (ids,)).fetchone()[0]:
            time.sleep(0.5)
        waits = [row[0] * 1000 for row in conn.execute(
            "SELECT extract(epoch FROM derived_at - created_at) FROM media WHERE id = ANY(%s) "
            "AND derived_at IS NOT NULL", (ids,))]
        stored = conn.execute("SELECT count(*) FROM media").fetchone()[0]
        created = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    table.add(f"upload → display copy at {UPLOAD_RATE:g} uploads/s (ms)", **percentiles(waits, (50, 95, 99)),
              made=f"{len(waits)} of {len(ids)}")
    table.note(f"rows: {created} reports, {stored} photos stored; photo size {photo.stat().st_size} bytes")


if __name__ == "__main__":
    main()
