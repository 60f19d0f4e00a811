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
import time
from datetime import UTC, datetime, timedelta

import psycopg
import sqlalchemy as sa
from harness import Stack, Table, timed, wrk

CASES = int(os.environ.get("BENCH_CASES", "1000000"))
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
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


def main() -> None:
    from api.db import Session, unit_of_work
    from api.organisation import queries as organisation
    from api.roles import Role
    from api.taxonomy.service import current

    with Stack(workers=4) as stack:
        stack.seed("bench-password-1")
        with stack.app_context():
            streets = [s.code for s in organisation.streets()]
            sanitation = organisation.get_department_by_code("sanitation")
            departments = [d.id for d in organisation.departments()]
            category = current("event:01-02")
            started = time.perf_counter()
            overdue = copy_cases(stack.dsn, streets, departments, (category.id, category.code), datetime.now(UTC))
            seeded_s = time.perf_counter() - started
            pending = [str(i) for i, in Session.execute(sa.text(
                "SELECT id FROM cases WHERE status = 'pending' ORDER BY id LIMIT 20000"))]
        tokens = {who: stack.token_for(who) for who in ("clerk", "dispatcher", "command")}
        tokens["head"] = stack.staff_token("bench_head", {Role.DEPT_HEAD}, scope_department_id=sanitation.id)
        (stack.work / "pending.txt").write_text("\n".join(pending) + "\n")
        stack.start_api()

        table = Table(f"work-order benchmark — {CASES:,} cases ({overdue:,} overdue), seeded by COPY in "
                      f"{seeded_s:.1f}s; gunicorn 4 workers, wrk -t2 -c8 -d{DURATION}s")
        lists = {"intake desk": ("/cases?desk=intake", "clerk"),
                 "dispatch desk": ("/cases?desk=dispatch", "dispatcher"),
                 "department desk": ("/cases?desk=department", "head"),
                 "overdue desk": ("/cases?desk=overdue", "command")}
        for label, (path, who) in lists.items():
            script = LIST_LUA % {"token": tokens[who], "path": path}
            table.add(label, **wrk(stack, script, duration=DURATION, connections=8))
            table.add(f"{label}, 2 conns", **wrk(stack, script, duration=DURATION, connections=2))
        table.add("case detail", **wrk(stack, DETAIL_LUA % {"token": tokens["command"], "cases": CASES},
                                       duration=DURATION, connections=8))
        table.add("accept (transition)", **wrk(stack, ACCEPT_LUA % {"ids": stack.work / "pending.txt",
                                                                   "token": tokens["clerk"]},
                                               duration=DURATION, connections=8))
        with stack.app_context():
            from api.cases.deadlines import scan_overdue

            with unit_of_work():  # as the periodic job runs it
                escalated, scan_ms = timed(scan_overdue)
            with unit_of_work():
                again, rescan_ms = timed(scan_overdue)
        table.add("overdue scan (one unit of work)", ms=round(scan_ms), escalated=escalated)
        table.add("a second scan", ms=round(rescan_ms), escalated=again)
        table.print()


if __name__ == "__main__":
    main()
