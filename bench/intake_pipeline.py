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

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from intake import photo_1080p, wait_for  # noqa: E402 - the intake benchmark's photo and readiness check

API_PORT, MOCK_PORT = 18110, 18111
APPID, SECRET = "wxbench000000002", "bench-secret"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
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


def classify_workers(env, n: int, burst: bool, queues=("classify",)) -> list[subprocess.Popen]:
    args = ["--simple"] + (["--burst"] if burst else [])
    return [subprocess.Popen([sys.executable, "-m", "workers.worker", *queues, *args], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(n)]


def login(api: str, mock: str, openid: str) -> dict:
    code = requests.post(mock + "_mock/login-code", json={"openid": openid}).json()["code"]
    token = requests.post(api + "/auth/wechat-login", json={"code": code}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def random_point(rnd: random.Random) -> dict:
    # inside Baiyun's demo grid, far enough apart that the duplicate check rarely links two of them
    return {"lat": rnd.uniform(23.17, 23.40), "lon": rnd.uniform(113.18, 113.47), "coord_system": "wgs84"}


def steady_rate_run(api: str, mock: str, db_url: str, photo: bytes, rnd: random.Random):
    """Reports with one photo arriving at RATE/s for SECONDS; upload start → work order dispatched_at."""
    citizens = [login(api, mock, f"bench-e2e-{n}") for n in range(8)]
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

    threads = []
    begin = time.perf_counter()
    for n in range(int(RATE * SECONDS)):
        delay = begin + n / RATE - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=one, args=(n,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    query = ("SELECT cr.report_id, c.status, w.dispatched_at FROM case_reports cr "
             "JOIN cases c ON c.id = cr.case_id LEFT JOIN work_orders w ON w.case_id = c.id "
             "WHERE cr.report_id = ANY(%s)")
    deadline = time.time() + 60
    while time.time() < deadline:
        with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
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
    dbname = f"suiyun_bench_{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
    env = {**os.environ, "ENV": "development", "DATABASE_URL": db_url, "REDIS_URL": "redis://127.0.0.1:6379/13",
           "SECRET_KEY": "bench-" + "s" * 40, "MEDIA_SIGNING_KEY": "bench-" + "m" * 40, "WECHAT_APPID": APPID,
           "WECHAT_SECRET": SECRET, "WECHAT_API_BASE": f"http://127.0.0.1:{MOCK_PORT}/",
           "MEDIA_DIR": str(work / "media"), "MODEL_DIR": str(work / "models"), "AUTO_DISPATCH": "1",
           "CLASSIFIER_BACKEND": BACKEND, "LOGIN_MAX_PER_IP_PER_MIN": "100000", "OUTBOX_SWEEP_AFTER_S": "5"}
    procs: list[subprocess.Popen] = []
    try:
        import redis

        from api import create_app
        from api.config import Config
        from api.migrate import upgrade
        from api.seed import seed_demo

        upgrade(db_url)
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        with create_app(Config.from_env(env)).app_context():
            seed_demo("bench-password-1")
        procs.append(subprocess.Popen([sys.executable, "-m", "miniprogram_mock.server", "--port", str(MOCK_PORT),
                                       "--app", f"{APPID}:{SECRET}"], cwd=ROOT, env=env))
        procs.append(subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-b",
                                       f"127.0.0.1:{API_PORT}", "--log-level", "warning", "wsgi:app"],
                                      cwd=ROOT, env=env))
        wait_for(f"http://127.0.0.1:{MOCK_PORT}/_mock/calls")
        wait_for(f"http://127.0.0.1:{API_PORT}/health")
        api, mock = f"http://127.0.0.1:{API_PORT}", f"http://127.0.0.1:{MOCK_PORT}/"

        # -- model load in a fresh process: the first start exports the backbone, later ones load it ----
        loads = [float(subprocess.run([sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True).stdout.split()[-1]) for _ in range(3)]

        # -- classifier throughput through the job path ----------------------------------------------------
        photo_1080p(work / "photo.jpg")
        photo = (work / "photo.jpg").read_bytes()
        headers = login(api, mock, "bench-classify")
        rnd = random.Random(7)
        media_ids = []
        for _ in range(PHOTOS):
            rid = requests.post(api + "/reports", json={"description": "路边垃圾堆放", "location": random_point(rnd)},
                                headers=headers).json()["id"]
            media_ids.append(requests.post(f"{api}/reports/{rid}/photos", files={"photo": ("p.jpg", photo)},
                                           headers=headers).json()["id"])
        from rq import Queue

        connection = redis.Redis.from_url(env["REDIS_URL"])
        queue = Queue("classify", connection=connection)
        for media_id in media_ids:  # drafts: classified, not routed — the classifier alone
            queue.enqueue("workers.intake.classify_photo", media_id)
        workers = classify_workers(env, 2, burst=True)
        rss = Rss(workers)
        started = time.perf_counter()
        for w in workers:
            w.wait()
        wall = time.perf_counter() - started
        peak = rss.stop()
        with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
            first, last, done = conn.execute(
                "SELECT min(created_at), max(created_at), count(*) FROM photo_predictions").fetchone()
        steady = (done - 1) / (last - first).total_seconds() if done > 1 else 0.0

        # -- upload → dispatched at a steady rate ------------------------------------------------------------
        Queue("default", connection=connection).empty()  # the derivative jobs of the throughput drafts
        workers = classify_workers(env, 2, burst=False) + classify_workers(env, 1, burst=False,
                                                                           queues=("default", "notify"))
        procs += workers
        from rq import Worker

        deadline = time.time() + 60
        while len(Worker.all(connection=connection)) < len(workers) and time.time() < deadline:
            time.sleep(0.2)  # a worker registers once its model is loaded
        latencies, outcomes, sent = steady_rate_run(api, mock, db_url, photo, rnd)

        def pct(values, q):
            return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")

        print(f"\nautomatic-intake benchmark — backend {BACKEND}, {os.cpu_count()} CPUs")
        print(f"  classifier (job path, 2 workers)  {steady:8.1f} photos/s steady   "
              f"({done} photos in {wall:.1f} s wall incl. start-up: {done / wall:.1f}/s)")
        first_note = " (exports ONNX once)" if BACKEND == "onnx" else ""
        print(f"  model load (fresh process)        first {loads[0]:.2f} s{first_note}, "
              f"then {loads[1]:.2f} s, {loads[2]:.2f} s")
        print(f"  classify worker peak RSS          {peak / 2**20:8.0f} MiB")
        print(f"  upload → dispatched at {RATE:g}/s      p50 {pct(latencies, 0.5):.2f} s   "
              f"p95 {pct(latencies, 0.95):.2f} s   max {pct(latencies, 1.0):.2f} s   "
              f"({len(latencies)} dispatched of {len(sent)}; outcomes {outcomes})")
        print(json.dumps({"classify_per_s": round(steady, 1), "load_s": loads, "rss_mib": round(peak / 2**20),
                          "e2e_p50_s": round(pct(latencies, 0.5), 3), "e2e_p95_s": round(pct(latencies, 0.95), 3),
                          "dispatched": len(latencies), "reports": len(sent)}))
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
