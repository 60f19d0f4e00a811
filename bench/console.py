"""Staff console benchmark: the desk pages and the case page over 1,000,000 cases, and the big screen's map data
over 100,000 open cases spread across the district.

Run with `make bench-console` (needs wrk). Seeds CASES cases with bench/work_orders.py's COPY, spreads the open
ones over the district's box and closes the rest beyond OPEN_ON_MAP (so the wall shows exactly that many), serves
the app with gunicorn (gunicorn.conf.py, 4 workers), signs each person in through the console's form (a real
session cookie, as a browser holds it) and prints p50/p99 of each page with wrk: the desks and the case page at
8 connections (two of them at 2 as well: the page's own time, the cores not saturated), the big screen's
cluster data at 4, the big screen's panels (tiles, boards) at 4.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime

import psycopg
import requests
from harness import Stack, Table, wrk
from work_orders import CASES, copy_cases

DURATION = int(os.environ.get("BENCH_DURATION", "15"))
OPEN_ON_MAP = int(os.environ.get("BENCH_OPEN_ON_MAP", "100000"))
DISTRICT = (113.16, 23.15, 113.49, 23.42)  # inside the demo grid (WGS-84)
AGENT = "suiyun-console-bench"  # the session is bound to the browser that signed in (its User-Agent)
PAGE_LUA = """
local headers = {["Cookie"] = "%(cookie)s", ["User-Agent"] = "%(agent)s"}
math.randomseed(os.time())
request = function()
  local path = "%(path)s"
  path = string.gsub(path, "{id}", tostring(math.random(1, %(cases)d)))
  return wrk.format("GET", path, headers)
end
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(stack: Stack, username: str, password: str) -> str:
    """The console's session cookie for `username`, through the sign-in form as a browser does it."""
    session = requests.Session()
    session.headers["User-Agent"] = AGENT
    token = CSRF.search(session.get(stack.api + "/console/sign-in", timeout=10).text).group(1)
    answer = session.post(stack.api + "/console/sign-in", data={"username": username, "password": password,
                                                                "csrf_token": token}, timeout=10)
    if "suiyun_console" not in session.cookies or "/console/sign-in" in answer.url:
        raise SystemExit(f"could not sign in as {username}")
    return f"suiyun_console={session.cookies['suiyun_console']}"


def spread_open_cases(dsn: str) -> int:
    """Open cases over the district's box (the COPY puts every case on one point), all but OPEN_ON_MAP closed."""
    open_statuses = "('pending','verifying','awaiting_dispatch','dispatched','in_progress','awaiting_check','deferred')"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE cases SET status = 'closed', closed_at = now() WHERE id IN (SELECT id FROM cases "
                     f"WHERE status IN {open_statuses} ORDER BY id OFFSET %s)", (OPEN_ON_MAP,))
        min_lon, min_lat, max_lon, max_lat = DISTRICT
        conn.execute(f"UPDATE cases SET lon = %s + random() * %s, lat = %s + random() * %s "
                     f"WHERE status IN {open_statuses}", (min_lon, max_lon - min_lon, min_lat, max_lat - min_lat))
        conn.execute("VACUUM (ANALYZE) cases")
        return conn.execute(f"SELECT count(*) FROM cases WHERE status IN {open_statuses}").fetchone()[0]


def main() -> None:
    from api.organisation import queries as organisation
    from api.taxonomy.service import current

    password = "bench-password-1"
    with Stack(workers=4) as stack:
        stack.seed(password)
        with stack.app_context():
            streets = [s.code for s in organisation.streets()]
            departments = [d.id for d in organisation.departments()]
            sanitation = organisation.get_department_by_code("sanitation")
            category = current("event:01-02")
            started = time.perf_counter()
            overdue = copy_cases(stack.dsn, streets, departments, (category.id, category.code), datetime.now(UTC))
            seeded_s = time.perf_counter() - started
        on_map = spread_open_cases(stack.dsn)
        stack.start_api()
        cookies = {who: sign_in(stack, who, password) for who in ("clerk", "dispatcher", "command")}
        cookies["head"] = sign_in(stack, f"{sanitation.code}_head", password)

        table = Table(f"console benchmark — {CASES:,} cases ({overdue:,} overdue; {on_map:,} open on the map), "
                      f"seeded by COPY in {seeded_s:.1f}s; gunicorn 4 workers, wrk -t2 -d{DURATION}s, signed-in "
                      f"sessions")

        def page(label: str, path: str, who: str, connections: int) -> None:
            script = PAGE_LUA % {"cookie": cookies[who], "agent": AGENT, "path": path, "cases": CASES}
            table.add(f"{label}, {connections} conns", **wrk(stack, script, duration=DURATION,
                                                            connections=connections))

        page("intake desk (受理)", "/console/desks/intake", "clerk", 2)
        page("intake desk (受理)", "/console/desks/intake", "clerk", 8)
        page("dispatch desk (派遣)", "/console/desks/dispatch", "dispatcher", 8)
        page("department desk (部门工单)", "/console/desks/department", "head", 8)
        page("overdue desk (超期)", "/console/desks/overdue", "command", 8)
        page("case page, random case", "/console/cases/{id}", "command", 2)
        page("case page, random case", "/console/cases/{id}", "command", 8)
        bbox = ",".join(str(v) for v in DISTRICT)
        page("big screen map data, whole district (zoom 11)", f"/console/command/cases?bbox={bbox}&zoom=11",
             "command", 4)
        page("big screen map data, zoom 13", "/console/command/cases?bbox=113.30,23.25,113.38,23.31&zoom=13",
             "command", 4)
        page("big screen panels (tiles, boards)", "/console/command/panels", "command", 4)
        table.print()


if __name__ == "__main__":
    main()
