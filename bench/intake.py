"""Intake benchmark: report creations/s and photo uploads/s under gunicorn, PostgreSQL, Redis, simulator.

Run with `make bench-intake` (needs wrk; the Make target installs it from Debian's packages). Prints:
creations/s (authenticated, with the msgSecCheck call), photo uploads/s (1080p JPEG, accepted and
stored), each sustained for DURATION seconds with 16 concurrent connections, p50/p99 latency, and the
rate at which a worker makes the photo derivatives afterwards.
"""

from __future__ import annotations

import os

import psycopg
import requests
from harness import Stack, Table, photo_1080p, wrk

DURATION = int(os.environ.get("BENCH_DURATION", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
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



def main() -> None:
    with Stack(workers=WORKERS, env={"LOGIN_MAX_PER_IP_PER_MIN": "100000"}) as stack:
        stack.start_api()
        tokens = [stack.citizen_token(f"bench-{n}") for n in range(USERS)]
        (stack.work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        table = Table(f"intake benchmark — {DURATION}s per load, {CONNECTIONS} connections, "
                      f"gunicorn {WORKERS} sync workers")
        table.add("report creations", **wrk(stack, CREATE_LUA % {"tokens": stack.work / "tokens.txt"},
                                             duration=DURATION, connections=CONNECTIONS))

        drafts = []
        body = {"description": "上传压测", "location": {"lat": 23.1625, "lon": 113.2628}}
        for n in range(DRAFTS):
            token = tokens[n % USERS]
            rid = requests.post(stack.api + "/reports", json=body, headers={"Authorization": f"Bearer {token}"},
                                timeout=10).json()["id"]
            drafts.append(f"{rid} {token}")
        (stack.work / "drafts.txt").write_text("\n".join(drafts) + "\n")
        photo = stack.work / "photo.jpg"
        photo_1080p(photo)
        table.add("photo uploads (1080p JPEG)", **wrk(stack, UPLOAD_LUA % {"drafts": stack.work / "drafts.txt",
                                                                          "photo": photo},
                                                       duration=DURATION, connections=CONNECTIONS))
        with psycopg.connect(stack.dsn) as conn:
            stored = conn.execute("SELECT count(*) FROM media").fetchone()[0]
            created = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        pending = stack.redis().llen("rq:queue:default")
        seconds = stack.drain("default")
        table.add("derivatives (display + thumb), one worker", rate=pending / seconds if pending else 0.0,
                  jobs=pending)
        table.note(f"rows: {created} reports, {stored} photos stored; photo size {photo.stat().st_size} bytes")
        table.print()


if __name__ == "__main__":
    main()
