"""Work-order benchmark: 1 M cases in PostgreSQL; desk lists and case detail over HTTP; transitions/s; overdue scan.

Run with `make bench-work-orders` (needs wrk). Seeds CASES cases with COPY (1 % of the open ones overdue),
serves the API with gunicorn, and prints p50/p99 of the main work lists (wrk -t2 -c8, then -c2) and of a
case's detail (authenticated), accepts/s with 8 concurrent clients, and the time of one overdue scan (a direct
call, escalating the whole overdue backlog).
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = int(os.environ.get("BENCH_CASES", "1000000"))
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
API_PORT = 18200
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
# share of cases per status (the rest are closed)
MIX = [("pending", 0.03), ("awaiting_dispatch", 0.02), ("dispatched", 0.03), ("in_progress", 0.04),
       ("awaiting_check", 0.02), ("deferred", 0.01)]
OPEN = {"dispatched", "in_progress", "awaiting_check"}

LIST_LUA = """
local token = "%(token)s"
request = function()
  return wrk.format("GET", "%(path)s", {["Authorization"] = "Bearer " .. token})
end
"""
DETAIL_LUA = """
local token = "%(token)s"
math.randomseed(os.time())
request = function()
  local id = math.random(1, %(cases)d)
  return wrk.format("GET", "/cases/" .. id, {["Authorization"] = "Bearer " .. token})
end
"""
ACCEPT_LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local token = "%(token)s"
local i = 0
local offset = 0
local threads = 0
setup = function(thread) thread:set("offset", threads); threads = threads + 1 end
init = function(args) offset = tonumber(wrk.thread:get("offset")) or 0 end
request = function()
  i = i + 1
  local id = ids[((i * 2 + offset) %% #ids) + 1]
  return wrk.format("POST", "/cases/" .. id .. "/accept", {["Authorization"] = "Bearer " .. token,
                    ["Content-Type"] = "application/json"}, "{}")
end
"""


def copy_cases(url: str, streets: list[str], departments: list[int], category: tuple[int, str], now: datetime):
    rng = random.Random(7)
    statuses = [s for s, share in MIX for _ in range(int(share * 1000))]
    statuses += ["closed"] * (1000 - len(statuses))
    buf = io.StringIO()
    overdue = 0
    for n in range(1, CASES + 1):
        status = statuses[rng.randrange(1000)]
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 365))
        street = streets[n % len(streets)]
        dispatched = deadline = closed = r"\N"
        department = r"\N"
        if status in OPEN or status in ("closed", "deferred"):
            d = created + timedelta(hours=1)
            dispatched, department = d.isoformat(), str(departments[n % len(departments)])
            late = status in OPEN and rng.random() < 0.1 and overdue < CASES // 100
            overdue += late
            if late:
                deadline = now - timedelta(hours=2)
            elif status in OPEN or status == "deferred":  # open work is due in the next three days
                deadline = now + timedelta(hours=rng.randrange(1, 72))
            else:
                deadline = d + timedelta(days=2)
            deadline = deadline.isoformat()
            closed = (d + timedelta(hours=5)).isoformat() if status == "closed" else r"\N"
        buf.write("\t".join([str(n), "citizen", status, str(category[0]), category[1], "路边垃圾堆放", "23.2", "113.3",
                             street, "normal", "0", department, dispatched, deadline, "0", "0", "0", closed,
                             created.isoformat(), created.isoformat(), "1", "f"]) + "\n")
    columns = ("id, source, status, category_id, category_code, description, lat, lon, street_code, priority, "
               "supporters, department_id, dispatched_at, deadline_at, escalation_level, rework_count, "
               "extension_count, closed_at, created_at, updated_at, version, deadline_provisional")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        cur.execute("SELECT setval('cases_id_seq', %s)", (CASES,))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cases")  # settle the table, so autovacuum does not run during the measuring
    return overdue


def run_wrk(script: Path, connections: int = 8) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{DURATION}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{API_PORT}"], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency.get("50"),
            "p99": latency.get("99"), "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def main() -> None:  # noqa: C901 - a linear script
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench-work-orders does this)")
    dbname = f"suiyun_bench_{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="bench-wo-"))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
    env = {**os.environ, "ENV": "development", "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/12",
           "SECRET_KEY": "bench-" + "s" * 40, "MEDIA_SIGNING_KEY": "bench-" + "m" * 40, "WECHAT_APPID": "wxb",
           "WECHAT_SECRET": "x", "WECHAT_API_BASE": "http://127.0.0.1:9/", "MEDIA_DIR": str(work / "media")}
    os.environ.update(env)
    procs = []
    try:
        from api import create_app
        from api.config import Config
        from api.db import Session
        from api.identity.service import create_staff
        from api.identity.tokens import issue
        from api.migrate import upgrade
        from api.organisation import queries as organisation
        from api.seed import seed_demo
        from api.taxonomy.service import current

        upgrade(url)
        config = Config.from_env()
        app = create_app(config)
        with app.app_context():
            seed_demo("bench-password-1")
            streets = [s.code for s in organisation.streets()]
            sanitation = organisation.get_department_by_code("sanitation")
            departments = [d.id for d in organisation.departments()]
            category = current("event:01-02")
            started = time.perf_counter()
            overdue = copy_cases(url.replace("+psycopg", ""), streets, departments, (category.id, category.code),
                                 datetime.now(UTC))
            seeded_s = time.perf_counter() - started
            from api.roles import Role

            head = create_staff("bench_head", "bench-password-1", {Role.DEPT_HEAD},
                                scope_department_id=sanitation.id)
            Session.commit()
            tokens = {name: issue(uid, "staff", config.SECRET_KEY, 3600)[0] for name, uid in (
                ("clerk", organisation_user("clerk")), ("dispatcher", organisation_user("dispatcher")),
                ("head", head.id), ("command", organisation_user("command")))}
            pending = [str(i) for i, in Session.execute(sa.text(
                "SELECT id FROM cases WHERE status = 'pending' ORDER BY id LIMIT 20000"))]
        (work / "pending.txt").write_text("\n".join(pending) + "\n")

        procs.append(subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-b",
                                       f"127.0.0.1:{API_PORT}", "--log-level", "warning", "wsgi:app"],
                                      cwd=ROOT, env=env))
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{API_PORT}/health", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.3)

        results = {}
        lists = {"intake desk": ("/cases?desk=intake", "clerk"),
                 "dispatch desk": ("/cases?desk=dispatch", "dispatcher"),
                 "department desk": ("/cases?desk=department", "head"),
                 "overdue desk": ("/cases?desk=overdue", "command")}
        for label, (path, who) in lists.items():
            script = work / f"{who}.lua"
            script.write_text(LIST_LUA % {"token": tokens[who], "path": path})
            results[label] = run_wrk(script)
            results[f"{label}, 2 conns"] = run_wrk(script, connections=2)
        (work / "detail.lua").write_text(DETAIL_LUA % {"token": tokens["command"], "cases": CASES})
        results["case detail"] = run_wrk(work / "detail.lua")
        (work / "accept.lua").write_text(ACCEPT_LUA % {"ids": work / "pending.txt", "token": tokens["clerk"]})
        results["accept (transition)"] = run_wrk(work / "accept.lua")

        with app.app_context():
            from api.cases.deadlines import scan_overdue

            started = time.perf_counter()
            escalated = scan_overdue()
            scan_s = time.perf_counter() - started
            started = time.perf_counter()
            again = scan_overdue()
            rescan_s = time.perf_counter() - started

        print(f"\nwork-order benchmark — {CASES:,} cases ({overdue:,} overdue), seeded by COPY in {seeded_s:.1f}s; "
              f"gunicorn 4 workers, wrk -t2 -c8 -d{DURATION}s, {os.cpu_count()} CPUs")
        for label, r in results.items():
            print(f"  {label:<22} {r['rate']:8.1f} req/s   p50 {r['p50']:>8}   p99 {r['p99']:>8}   "
                  f"non-2xx {r['non_2xx']}")
        print(f"  overdue scan (direct)  {scan_s * 1000:8.0f} ms escalating {escalated:,}; "
              f"a second scan {rescan_s * 1000:.0f} ms ({again} escalated)")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def organisation_user(username: str) -> int:
    from api.db import Session
    from api.identity.models import User

    return Session.scalar(sa.select(User.id).where(User.username == username))


if __name__ == "__main__":
    main()
