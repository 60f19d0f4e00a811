"""Devices and map benchmark: sensor readings/s in batched posts, camera captures/s with a 200 KB snapshot, and
the map's bbox query p99 over 60,000 components and 20,000 open cases at three zoom levels.

Run with `make bench-devices-map`. The API runs under gunicorn (4 sync workers) on PostgreSQL and Redis; the
load comes from threads in this process, each request signed as a device signs it (HMAC, timestamp, nonce).
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import requests
from harness import Stack, Table, percentiles

SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
BATCH = 1000
COMPONENTS, OPEN_CASES = 60_000, 20_000
BBOX = (113.18, 23.17, 113.47, 23.40)  # inside Baiyun's demo grid


def snapshot_200kb() -> bytes:
    from PIL import Image

    rnd = random.Random(3)
    img = Image.effect_noise((900, 600), 40).convert("RGB")
    img = Image.merge("RGB", [c.point(lambda v, k=k: (v + 60 * k) % 256) for k, c in enumerate(img.split())])
    quality = 80
    while True:
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality)
        if out.tell() <= 205_000 or quality < 20:
            return out.getvalue()
        quality -= 5 + rnd.randrange(2)


def signed_post(session: requests.Session, api: str, device: dict, path: str, body: bytes) -> requests.Response:
    from api.devices.auth import sign

    url = f"/devices/{device['code']}/{path}"
    timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
    return session.post(api + url, data=body, headers={
        "Content-Type": "application/json", "X-Timestamp": timestamp, "X-Nonce": nonce,
        "X-Signature": sign(device["secret"], timestamp, nonce, "POST", url, body)})


def hammer(seconds: float, threads: int, make_request) -> tuple[int, int, float]:
    """Run make_request(session, thread, n) in `threads` threads for `seconds`; (ok, failed, elapsed)."""
    ok, failed, lock = [0], [0], threading.Lock()
    stop = time.perf_counter() + seconds

    def loop(t):
        session, n = requests.Session(), 0
        while time.perf_counter() < stop:
            response = make_request(session, t, n)
            n += 1
            with lock:
                if response.status_code in (200, 201):
                    ok[0] += 1
                else:
                    failed[0] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return ok[0], failed[0], time.perf_counter() - started


def seed_map(url: str, street_codes: list[str], category: tuple[int, str]) -> None:
    """60,000 components and 20,000 open cases scattered over the district, by COPY."""
    rnd = random.Random(11)
    now = datetime.now(UTC).isoformat()
    comp, cases = io.StringIO(), io.StringIO()
    for n in range(COMPONENTS):
        lon, lat = rnd.uniform(BBOX[0], BBOX[2]), rnd.uniform(BBOX[1], BBOX[3])
        minor = rnd.choice(["01", "02", "03", "18"])
        state = "damaged" if rnd.random() < 0.03 else "normal"
        comp.write(f"44011101{minor}{n:06d}\tcomponent:01-{minor}\t部件{n}\t{state}\t{lat}\t{lon}\t"
                   f"{street_codes[n % len(street_codes)]}\t{now}\n")
    statuses = ["pending", "awaiting_dispatch", "dispatched", "in_progress", "awaiting_check"]
    for n in range(OPEN_CASES):
        lon, lat = rnd.uniform(BBOX[0], BBOX[2]), rnd.uniform(BBOX[1], BBOX[3])
        cases.write("\t".join(["citizen", rnd.choice(statuses), str(category[0]), category[1], "路边垃圾堆放",
                               str(lat), str(lon), street_codes[n % len(street_codes)], "normal", "0", "0", "0",
                               "0", now, now, "1", "f"]) + "\n")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY components (code, category_code, name, state, lat, lon, street_code, updated_at) "
                      "FROM STDIN") as copy:
            copy.write(comp.getvalue())
        with cur.copy("COPY cases (source, status, category_id, category_code, description, lat, lon, street_code, "
                      "priority, supporters, escalation_level, rework_count, extension_count, created_at, "
                      "updated_at, version, deadline_provisional) FROM STDIN") as copy:
            copy.write(cases.getvalue())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) components")
        conn.execute("VACUUM (ANALYZE) cases")


def map_latencies(api: str, token: str) -> dict:
    """p50/p90/p99 of layer requests for random viewports: a district view (zoom 11), a street (13), a block (16)."""
    rnd = random.Random(5)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    out = {}
    for zoom, span in ((11, 0.28), (13, 0.07), (16, 0.009)):
        for name in ("components", "cases"):
            times = []
            for i in range(260):
                lon = rnd.uniform(BBOX[0], BBOX[2] - span)
                lat = rnd.uniform(BBOX[1], BBOX[3] - span * 0.8)
                bbox = f"{lon:.5f},{lat:.5f},{lon + span:.5f},{lat + span * 0.8:.5f}"
                started = time.perf_counter()
                response = session.get(f"{api}/map/layers/{name}?bbox={bbox}&zoom={zoom}")
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if i >= 10:  # warm-up
                    times.append(elapsed)
            out[(zoom, name)] = {**percentiles(times), "features": len(response.json()["features"])}
    return out


def main() -> None:
    from api.db import unit_of_work
    from api.devices import service as devices
    from api.organisation import queries as organisation
    from api.taxonomy.service import current

    with Stack(workers=4) as stack:
        stack.seed("bench-password-1")
        with stack.app_context():
            streets = [s.code for s in organisation.streets()]
            category = current("event:01-02")
            started = time.perf_counter()
            seed_map(stack.dsn, streets, (category.id, category.code))
            seeded_s = time.perf_counter() - started
            sensors, cameras = [], []
            rnd = random.Random(1)
            with unit_of_work():
                for n in range(THREADS):
                    lat, lon = rnd.uniform(BBOX[1], BBOX[3]), rnd.uniform(BBOX[0], BBOX[2])
                    device, secret = devices.register({"code": f"PM-{n}", "kind": "sensor", "name": f"PM{n}",
                                                       "detects": ["pm25"], "lat": lat, "lon": lon,
                                                       "expected_interval_s": 600}, None)
                    sensors.append({"code": device.code, "secret": secret})
                    device, secret = devices.register({"code": f"CAM-{n}", "kind": "camera", "name": f"CAM{n}",
                                                       "detects": ["street_vending"], "lat": lat, "lon": lon,
                                                       "expected_interval_s": 600}, None)
                    cameras.append({"code": device.code, "secret": secret})
        token = stack.token_for("command")
        stack.start_api()
        api = stack.api
        base = datetime.now(UTC) - timedelta(days=30)  # devices may send up to a year late, never ahead

        def readings(session, t, n):
            start = base + timedelta(seconds=(n * BATCH))
            body = json.dumps({"readings": [{"kind": "pm25", "value": 20 + (i % 50),
                                             "measured_at": (start + timedelta(seconds=i)).isoformat()}
                                            for i in range(BATCH)]}).encode()
            return signed_post(session, api, sensors[t], "readings", body)

        table = Table(f"devices and map benchmark — gunicorn 4 workers, {THREADS} client threads; "
                      f"{COMPONENTS:,} components + {OPEN_CASES:,} open cases seeded in {seeded_s:.1f}s")
        ok, failed, elapsed = hammer(SECONDS, THREADS, readings)
        table.add(f"sensor readings, {BATCH}-reading signed batches", rate=ok * BATCH / elapsed,
                  batches=ok, failed=failed)

        photo = base64.b64encode(snapshot_200kb()).decode()
        size = len(base64.b64decode(photo))

        def captures(session, t, n):
            body = json.dumps({"event_id": f"{t}-{n}", "detection": "street_vending", "confidence": 0.9,
                               "captured_at": datetime.now(UTC).isoformat(), "snapshot": photo}).encode()
            return signed_post(session, api, cameras[t], "captures", body)

        ok_c, failed_c, elapsed_c = hammer(SECONDS, THREADS, captures)
        table.add(f"camera captures with a {size // 1000} KB snapshot", rate=ok_c / elapsed_c, captures=ok_c,
                  failed=failed_c)
        for (zoom, name), figures in map_latencies(api, token).items():
            table.add(f"map {name} zoom {zoom}", **figures)
        table.print()


if __name__ == "__main__":
    main()
