"""Gas inspection benchmark: plan generation over 500,000 gas users, assignment, the inspector's day list under
load, and one offline batch of 200 visits with 50 photos synced over HTTP.

Run with `make bench-gas`. Everything on this machine through the harness: PostgreSQL, Redis, gunicorn with
gunicorn.conf.py, the WeChat simulator. BENCH_GAS_USERS gas users (default 500,000) on as many premises are
COPY-loaded into the demo grid's 432 cells (points spread inside each cell), due dates spread over the last eleven
months and the next one, with 300 gas inspectors over the 24 streets and towns. Prints one table:
- plan generation: `flask gas plan --no-assign` (a subprocess, as an operator runs it) — seconds, tasks/s;
- assignment by grid with balanced loads: `flask gas plan` again (nothing left to plan) — seconds;
- the day list: GET /gas/field/tasks from the 300 inspectors' tokens at 8 connections (wrk) — requests/s, p99;
- one batch: 50 photos (1080p JPEGs of ~400 KB) uploaded by one inspector from 4 threads, then one POST of 200
  visits (150 passed, 50 with a failed item and its photo: 50 hazards, 50 cases, 50 re-inspections) — seconds.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import psycopg
import requests
from harness import ROOT, Stack, Table, photo_1080p, wrk

USERS = int(os.environ.get("BENCH_GAS_USERS", "500000"))
INSPECTORS = int(os.environ.get("BENCH_GAS_INSPECTORS", "300"))
DURATION = int(os.environ.get("BENCH_DURATION", "20"))

DAY_LUA = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  local t = tokens[(i %% #tokens) + 1]
  local lat, lon = t:match("^(%%S+) (%%S+) ")
  local token = t:match(" (%%S+)$")
  return wrk.format("GET", "/gas/field/tasks?lat=" .. lat .. "&lon=" .. lon, {["Authorization"] = "Bearer " .. token})
end
"""


def copy_rows(conn, sql: str, rows) -> None:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def load(stack: Stack) -> list[tuple[int, str]]:
    """Premises, gas users and inspectors; returns the inspectors' (user id, street)."""
    rnd = random.Random(11)
    now, today = datetime.now(UTC), date.today()
    with psycopg.connect(stack.dsn) as conn:
        cells = conn.execute("SELECT code, street_code, min_lon, min_lat, max_lon, max_lat FROM unit_grids "
                             "ORDER BY code").fetchall()
        base = conn.execute("SELECT coalesce(max(id), 0) FROM premises").fetchone()[0]

        def place(n: int):
            code, street, x0, y0, x1, y1 = cells[n % len(cells)]
            return (f"GB{n:08d}", "household" if n % 10 else "business", f"压测路{n}号", street, "压测社区", code,
                    round(rnd.uniform(y0, y1), 6), round(rnd.uniform(x0, x1), 6), 3, now)

        copy_rows(conn, "COPY premises (code, kind, address, street_code, community, grid_code, lat, lon, occupants, "
                        "created_at) FROM STDIN", (place(n) for n in range(USERS)))

        def gas_user(n: int):
            _, street, *_ = cells[n % len(cells)]
            kind = "catering" if n % 10 == 0 else ("non_residential" if n % 10 == 1 else "residential")
            due = today - timedelta(days=rnd.randrange(-30, 330))
            return (f"GB{n:09d}", base + 1 + n, street, cells[n % len(cells)][0], kind,
                    "lpg" if kind == "catering" else "pipeline", "广州燃气集团", f"用户{n}", f"138{n:08d}"[-11:],
                    True, due, now)

        copy_rows(conn, "COPY gas_users (number, premises_id, street_code, grid_code, user_type, supply, supplier, "
                        "contact_name, phone, active, next_due_on, created_at) FROM STDIN",
                  (gas_user(n) for n in range(USERS)))
        streets = sorted({c[1] for c in cells})
        copy_rows(conn, "COPY users (kind, username, display_name, scope_division_code, is_active, created_at) "
                        "FROM STDIN", (("staff", f"bench-gas-{n}", f"安检员{n}", streets[n % len(streets)], True, now)
                                       for n in range(INSPECTORS)))
        inspectors = conn.execute("SELECT id, scope_division_code FROM users WHERE username LIKE 'bench-gas-%' "
                                  "ORDER BY id").fetchall()
        copy_rows(conn, "COPY user_roles (user_id, role) FROM STDIN", ((i, "gas_inspector") for i, _ in inspectors))
        conn.execute("ANALYZE")
    return inspectors


def flask(stack: Stack, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "gas", *args], cwd=ROOT, env=stack.env,
                         check=True, capture_output=True, text=True).stdout.strip()
    return time.perf_counter() - started, out


def tokens_file(stack: Stack, inspectors: list[tuple[int, str]]) -> str:
    from api.identity import tokens

    lines = []
    with psycopg.connect(stack.dsn) as conn:
        for user_id, _ in inspectors:
            first = conn.execute("SELECT p.lat, p.lon FROM gas_tasks t JOIN gas_users u ON u.id = t.gas_user_id "
                                 "JOIN premises p ON p.id = u.premises_id WHERE t.inspector_id = %s LIMIT 1",
                                 (user_id,)).fetchone() or (23.2, 113.3)
            lines.append(f"{first[0]} {first[1]} {tokens.issue(user_id, 'staff', stack.config.SECRET_KEY, 3600)[0]}")
    path = stack.work / "gas-tokens.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def batch(stack: Stack, inspector: int) -> dict:
    """50 photos uploaded from 4 threads, then one POST of 200 visits; the seconds each took and the answers."""
    from api.identity import tokens

    token = tokens.issue(inspector, "staff", stack.config.SECRET_KEY, 3600)[0]
    headers = {"Authorization": f"Bearer {token}"}
    with psycopg.connect(stack.dsn) as conn:
        tasks = conn.execute("SELECT t.id, t.version, p.lat, p.lon, u.user_type, u.supply FROM gas_tasks t "
                             "JOIN gas_users u ON u.id = t.gas_user_id JOIN premises p ON p.id = u.premises_id "
                             "WHERE t.inspector_id = %s AND t.status = 'assigned' ORDER BY t.due_on, t.id LIMIT 200",
                             (inspector,)).fetchall()
    path = stack.work / "visit.jpg"
    photo_1080p(path)
    data = path.read_bytes()
    photo_ids = [str(uuid.uuid4()) for _ in range(50)]
    session = requests.Session()

    def put(photo_id: str) -> int:
        return session.put(f"{stack.api}/gas/field/photos/{photo_id}", files={"photo": ("v.jpg", io.BytesIO(data))},
                           headers=headers, timeout=60).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(put, photo_ids))
    uploaded = time.perf_counter() - started
    from api.gas import checklist

    finished = datetime.now(UTC) - timedelta(minutes=5)
    visits = []
    for n, (task_id, version, lat, lon, user_type, supply) in enumerate(tasks):
        items = [{"code": i.code, "result": "pass"} for i in checklist.applicable("v1", user_type, supply)]
        if n < 50:
            items[3] = {"code": items[3]["code"], "result": "fail", "photo_id": photo_ids[n]}
        visits.append({"client_id": str(uuid.uuid4()), "task_id": task_id, "task_version": version,
                       "outcome": "hazards" if n < 50 else "passed",
                       "started_at": (finished - timedelta(minutes=15)).isoformat(),
                       "finished_at": finished.isoformat(), "checkin": {"lat": lat, "lon": lon},
                       "checklist_version": "v1", "items": items})
    started = time.perf_counter()
    answer = session.post(f"{stack.api}/gas/field/visits", json={"visits": visits}, headers=headers, timeout=120)
    synced = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for result in answer.json()["results"]:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    return {"photos_s": round(uploaded, 2), "photo_answers": sorted(set(codes)), "visits": len(visits),
            "sync_s": round(synced, 2), "answers": statuses}


def main() -> None:
    with Stack(workers=4) as stack:
        stack.seed()
        table = Table(f"gas inspection benchmark — {USERS:,} gas users, {INSPECTORS} inspectors, day list "
                      f"{DURATION}s × 8 connections; gunicorn 4 gthread workers")
        started = time.perf_counter()
        inspectors = load(stack)
        table.note(f"COPY-loaded {USERS:,} premises and gas users in {time.perf_counter() - started:.1f} s")
        seconds, out = flask(stack, "plan", "--horizon-days", "30", "--no-assign")
        planned = int(out.split()[0])
        table.add(f"plan generation, {USERS:,} gas users (flask gas plan --no-assign)", rate=planned / seconds,
                  seconds=round(seconds, 1), tasks=planned)
        seconds, out = flask(stack, "plan", "--horizon-days", "30")
        table.add("assignment by grid, balanced (flask gas plan: nothing left to plan)", seconds=round(seconds, 1),
                  output=out.split("; ")[1][:40])
        with psycopg.connect(stack.dsn, autocommit=True) as conn:
            conn.execute("ANALYZE gas_tasks")  # as autovacuum would have by the morning after a plan
        stack.start_api()
        table.add("inspector's day list (GET /gas/field/tasks, 40 tasks in walking order)",
                  **wrk(stack, DAY_LUA % {"tokens": tokens_file(stack, inspectors)}, duration=DURATION,
                        connections=8))
        table.add("one offline batch: 50 photos uploaded (4 threads), then 200 visits in one POST",
                  **batch(stack, inspectors[0][0]))
        table.print()


if __name__ == "__main__":
    main()
