"""Open311 GeoReport v2 benchmark: filing and following through the façade, as any GeoReport v2 server is measured.

Run with `make bench-open311` (needs wrk). Seeds BENCH_CASES cases (default 100,000, a year of them; bench/
work_orders.py's COPY) so that the default list — accepted cases of the last 90 days, newest first — is full
(1,000 per answer), registers a client (its rate out of the way), serves the app with gunicorn (gunicorn.conf.py,
4 workers) and prints rate and p50/p99 with wrk -t2 at 16 connections of:
- POST requests.json: form-encoded, the client's api_key, a random point in the district — each one a new case at
  the 受理 desk;
- GET requests.json: the default window (1,000 requests in each answer);
- GET requests.json?service_request_id=… (one case, by its public id) and GET services.json.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

os.environ.setdefault("BENCH_CASES", "100000")

from harness import Stack, Table, wrk  # noqa: E402
from work_orders import CASES, copy_cases  # noqa: E402

DURATION = int(os.environ.get("BENCH_DURATION", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
POST_LUA = """
math.randomseed(os.time())
request = function()
  local lat = 23.16 + math.random() * 0.25
  local lon = 113.17 + math.random() * 0.30
  local body = string.format("api_key=%(key)s&service_code=exposed_garbage&lat=%%.6f&long=%%.6f"
    .. "&description=%%s", lat, lon, "%%E8%%B7%%AF%%E8%%BE%%B9%%E5%%9E%%83%%E5%%9C%%BE")
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""
GET_LUA = """
math.randomseed(os.time())
local ids = {%(ids)s}
request = function()
  local path = string.gsub("%(path)s", "{id}", ids[math.random(1, #ids)])
  return wrk.format("GET", path)
end
"""


def public_ids(dsn: str) -> str:
    """A thousand accepted cases' public ids (AJ + the day it was opened in Shanghai + the id), as a Lua list."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT 'AJ' || to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || "
                            "lpad(id::text, 7, '0') FROM cases WHERE status IN ('dispatched', 'closed') "
                            "ORDER BY random() LIMIT 1000").fetchall()
    return ", ".join(f'"{r[0]}"' for r in rows)


def main() -> None:
    from api.db import unit_of_work
    from api.events.service import Actor
    from api.open311 import clients
    from api.organisation import queries as organisation
    from api.taxonomy.service import current

    with Stack(workers=4, env={"OPEN311_READS_PER_MINUTE": "100000000"}) as stack:  # one address: wrk's
        stack.seed("bench-password-1")
        with stack.app_context():
            streets = [s.code for s in organisation.streets()]
            departments = [d.id for d in organisation.departments()]
            category = current("event:01-02")
            started = time.perf_counter()
            copy_cases(stack.dsn, streets, departments, (category.id, category.code), datetime.now(UTC))
            seeded_s = time.perf_counter() - started
            with unit_of_work():
                _, key = clients.register("bench", 10_000_000, "", Actor.system())
        ids = public_ids(stack.dsn)
        stack.start_api()
        table = Table(f"Open311 benchmark — {CASES:,} cases seeded by COPY in {seeded_s:.1f}s; gunicorn 4 workers, "
                      f"wrk -t2 -c{CONNECTIONS} -d{DURATION}s")
        table.add("POST requests.json (a new case each)",
                  **wrk(stack, POST_LUA % {"key": key}, duration=DURATION, connections=CONNECTIONS))
        for label, path in (("GET requests.json (default window, 1,000 each)", "/open311/v2/requests.json"),
                            ("GET requests.json?service_request_id= (one)",
                             "/open311/v2/requests.json?service_request_id={id}"),
                            ("GET services.json", "/open311/v2/services.json")):
            table.add(label, **wrk(stack, GET_LUA % {"path": path, "ids": ids}, duration=DURATION,
                                   connections=CONNECTIONS))
        table.print()


if __name__ == "__main__":
    main()
