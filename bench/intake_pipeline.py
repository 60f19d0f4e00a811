"""Automatic-intake benchmark: the classifier through its job path, model load, worker RSS, and the latency
from photo upload to a dispatched case at a steady 5 reports/s.

Run with `make bench-intake-pipeline`. Prints:
- classifier photos/s: N 1080p JPEGs classified by `classify_photo` jobs on two non-forking classify
  workers (one per core), each job reading the photo from storage, decoding, running the backbone and the
  head and writing its prediction (target ≥ 30/s);
- model load time in a fresh process: first start (exports the backbone to ONNX once) and later starts
  (target < 3 s);
- peak RSS of a classify worker (target < 1 GiB);
- photo upload → dispatched case p50/p95 with the API under gunicorn, two classify workers and one
  default worker, reports arriving at 5/s with one photo each (target p95 < 2 s).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from harness import ROOT, Stack, Table, paced, percentiles, photo_1080p

PHOTOS = int(os.environ.get("BENCH_PHOTOS", "300"))
RATE = float(os.environ.get("BENCH_RATE", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
BACKEND = os.environ.get("CLASSIFIER_BACKEND", "onnx")
LOAD_SNIPPET = """
import time
from workers.boot import boot
boot()
started = time.perf_counter()
from workers import intake
intake.preload()
print(round(time.perf_counter() - started, 3))
"""


class Rss:
    """Peak resident memory of some processes, sampled every 50 ms."""

    def __init__(self, procs):
        self.procs, self.peak, self._stop = procs, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            for proc in self.procs:
                try:
                    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak = max(self.peak, int(line.split()[1]) * 1024)
                except FileNotFoundError:
                    pass
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def random_point(rnd: random.Random) -> dict:
    # inside Baiyun's demo grid, far enough apart that the duplicate check rarely links two of them
    return {"lat": rnd.uniform(23.17, 23.40), "lon": rnd.uniform(113.18, 113.47), "coord_system": "wgs84"}


def steady_rate_run(stack: Stack, photo: bytes, rnd: random.Random):
    """Reports with one photo arriving at RATE/s for SECONDS; upload start → work order dispatched_at."""
    api = stack.api
    citizens = [{"Authorization": f"Bearer {stack.citizen_token(f'bench-e2e-{n}')}"} for n in range(8)]
    sent: dict[int, float] = {}
    lock = threading.Lock()

    def one(n: int) -> None:
        h = citizens[n % len(citizens)]
        body = {"description": "小区门口垃圾堆积很久没人清理，很臭", "category_hint": "exposed_garbage",
                "location": random_point(rnd)}
        rid = requests.post(api + "/reports", json=body, headers=h).json()["id"]
        t0 = datetime.now(UTC).timestamp()
        requests.post(f"{api}/reports/{rid}/photos", files={"photo": ("p.jpg", photo)}, headers=h)
        requests.post(f"{api}/reports/{rid}/submit", headers=h)
        with lock:
            sent[rid] = t0

    paced(RATE, SECONDS, one)
    query = ("SELECT cr.report_id, c.status, w.dispatched_at FROM case_reports cr "
             "JOIN cases c ON c.id = cr.case_id LEFT JOIN work_orders w ON w.case_id = c.id "
             "WHERE cr.report_id = ANY(%s)")
    deadline = time.time() + 60
    while time.time() < deadline:
        with psycopg.connect(stack.dsn) as conn:
            rows = conn.execute(query, (list(sent),)).fetchall()
            decided = conn.execute("SELECT count(*) FROM report_classifications WHERE report_id = ANY(%s)",
                                   (list(sent),)).fetchone()[0]
        if decided == len(sent) and not any(row[1] == "awaiting_dispatch" for row in rows):
            break  # every report decided, every accepted case dispatched
        time.sleep(0.5)
    latencies = sorted(row[2].timestamp() - sent[row[0]] for row in rows if row[2] is not None)
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row[1]] = outcomes.get(row[1], 0) + 1

    return latencies, outcomes, sent


def main() -> None:
    env = {"AUTO_DISPATCH": "1", "CLASSIFIER_BACKEND": BACKEND, "LOGIN_MAX_PER_IP_PER_MIN": "100000",
           "OUTBOX_SWEEP_AFTER_S": "5"}
    with Stack(workers=4, env=env) as stack:
        stack.seed("bench-password-1")
        stack.start_api()
        api = stack.api

        # -- model load in a fresh process: the first start exports the backbone, later ones load it ----
        loads = [float(subprocess.run([sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, env=stack.env, check=True,
                                      capture_output=True, text=True).stdout.split()[-1]) for _ in range(3)]

        # -- classifier throughput through the job path ----------------------------------------------------
        photo_1080p(stack.work / "photo.jpg")
        photo = (stack.work / "photo.jpg").read_bytes()
        headers = {"Authorization": f"Bearer {stack.citizen_token('bench-classify')}"}
        rnd = random.Random(7)
        media_ids = []
        for _ in range(PHOTOS):
            rid = requests.post(api + "/reports", json={"description": "路边垃圾堆放", "location": random_point(rnd)},
                                headers=headers, timeout=10).json()["id"]
            media_ids.append(requests.post(f"{api}/reports/{rid}/photos", files={"photo": ("p.jpg", photo)},
                                           headers=headers, timeout=30).json()["id"])
        from rq import Queue, Worker

        connection = stack.redis()
        queue = Queue("classify", connection=connection)
        for media_id in media_ids:  # drafts: classified, not routed — the classifier alone
            queue.enqueue("workers.intake.classify_photo", media_id)
        burst = [stack.spawn([sys.executable, "-m", "workers.worker", "classify", "--simple", "--burst"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        rss = Rss(burst)
        started = time.perf_counter()
        for w in burst:
            w.wait()
        wall = time.perf_counter() - started
        peak = rss.stop()
        with psycopg.connect(stack.dsn) as conn:
            first, last, done = conn.execute(
                "SELECT min(created_at), max(created_at), count(*) FROM photo_predictions").fetchone()
        steady = (done - 1) / (last - first).total_seconds() if done > 1 else 0.0

        # -- upload → dispatched at a steady rate ------------------------------------------------------------
        Queue("default", connection=connection).empty()  # the derivative jobs of the throughput drafts
        workers = (stack.start_workers("classify", count=2, simple=True)
                   + stack.start_workers("default", "notify", simple=True))  # as before: no fork per job
        deadline = time.time() + 60
        while len(Worker.all(connection=connection)) < len(workers) and time.time() < deadline:
            time.sleep(0.2)  # a worker registers once its model is loaded
        latencies, outcomes, sent = steady_rate_run(stack, photo, rnd)
        e2e = percentiles([s * 1000 for s in latencies], (50, 95, 100))

        table = Table(f"automatic-intake benchmark — backend {BACKEND}")
        table.add("classifier (job path, 2 workers)", rate=steady, photos=done,
                  wall_rate=round(done / wall, 1) if wall else None)
        first_note = " (exports ONNX once)" if BACKEND == "onnx" else ""
        table.add("model load, fresh process (s)", first=loads[0], then=f"{loads[1]}, {loads[2]}",
                  note=first_note.strip() or None)
        table.add("classify worker peak RSS", MiB=round(peak / 2**20))
        table.add(f"upload → dispatched at {RATE:g}/s (ms)", p50=e2e["p50"], p95=e2e["p95"], max=e2e["p100"],
                  dispatched=f"{len(latencies)} of {len(sent)}", outcomes=outcomes)
        table.print()


if __name__ == "__main__":
    main()
