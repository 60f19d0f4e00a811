"""Test helpers: simulator control, images, logins, running the worker in burst mode."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib

import requests
from PIL import Image
from rq import Queue, SimpleWorker

from api.extensions import get_redis
from api.jobs import QUEUES


class MockControl:
    def __init__(self, base: str):
        self.base = base

    def _post(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(self.base + "_mock/" + path, json=body or {}, timeout=5)
        response.raise_for_status()
        return response.json()

    def login_code(self, openid: str, **kwargs) -> str:
        return self._post("login-code", {"openid": openid, **kwargs})["code"]

    def allow(self, openid: str, template_id: str = "tmpl-report-progress", count: int = 1) -> None:
        self._post("subscriptions", {"openid": openid, "template_id": template_id, "count": count})

    def fault(self, api: str, **kwargs) -> None:
        self._post("faults", {"api": api, **kwargs})

    def clear_faults(self) -> None:
        requests.delete(self.base + "_mock/faults", timeout=5).raise_for_status()

    def expire_tokens(self) -> None:
        self._post("expire-tokens")

    def configure(self, **kwargs) -> None:
        self._post("config", kwargs)

    def messages(self, touser: str | None = None) -> list[dict]:
        params = {"touser": touser} if touser else {}
        return requests.get(self.base + "_mock/messages", params=params, timeout=5).json()

    def calls(self) -> dict[str, int]:
        return requests.get(self.base + "_mock/calls", timeout=5).json()


def jpeg(width: int = 640, height: int = 480, color=(80, 120, 80), exif: bytes | None = None, quality: int = 90,
         pattern: bool = True) -> bytes:
    img = Image.new("RGB", (width, height), color)
    if pattern:  # some structure so JPEG decoding comparisons mean something
        for x in range(0, width, 16):
            for y in range(0, height, 16):
                if (x // 16 + y // 16) % 2:
                    img.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    img.save(out, "JPEG", quality=quality, **kwargs)
    return out.getvalue()


def png(width: int = 64, height: int = 48, color=(10, 20, 30, 255), text: dict | None = None) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    out = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + \
        chunk(b"IEND", b"")


def exif_bytes(*, orientation: int | None = None, when: str | None = None, gps: tuple[float, float] | None = None,
               offset: str | None = None) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
        if offset:
            exif.get_ifd(0x8769)[0x9011] = offset
    if gps:
        lat, lon = gps
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[3] = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
        ifd[2] = _dms(abs(lat))
        ifd[4] = _dms(abs(lon))
    exif[0x010F] = "TestCam"  # Make: must not survive stripping
    return exif.tobytes()


def _dms(value: float):
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), float(s))


def run_worker(queues=QUEUES) -> None:
    """A real RQ worker in burst mode against real Redis (runs jobs in this process)."""
    connection = get_redis()
    SimpleWorker([Queue(q, connection=connection) for q in queues], connection=connection).work(burst=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def citizen_login(client, wechat, openid: str) -> dict[str, str]:
    response = client.post("/auth/wechat-login", json={"code": wechat.login_code(openid)})
    assert response.status_code == 200, response.json
    return bearer(response.json["access_token"])


def staff_token(user) -> dict[str, str]:
    from api.config import get_config
    from api.identity import tokens

    token, _ = tokens.issue(user.id, user.kind, get_config().SECRET_KEY, 600, user.token_epoch or 0)
    return bearer(token)


# A point inside Baiyun (GCJ-02, as wx.getLocation returns it) and one in Shenzhen.
BAIYUN_GCJ = {"lat": 23.1625, "lon": 113.2628, "coord_system": "gcj02"}
SHENZHEN_GCJ = {"lat": 22.5431, "lon": 114.0579, "coord_system": "gcj02"}


def submit_new_report(client, headers, description: str = "路边垃圾堆放", hint: str | None = "exposed_garbage",
                      location: dict | None = None) -> int:
    """A citizen's report with one photo, submitted (which opens its case); returns the report id."""
    body = {"description": description, "location": location or BAIYUN_GCJ}
    if hint:
        body["category_hint"] = hint
    report_id = client.post("/reports", json=body, headers=headers).json["id"]
    photo = client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(jpeg()), "p.jpg")},
                        headers=headers, content_type="multipart/form-data")
    assert photo.status_code == 201, photo.json
    submitted = client.post(f"/reports/{report_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.json
    return report_id


def config_env(config) -> dict[str, str]:
    """`config` as the environment variables Config.from_env() reads (for worker subprocesses)."""
    import dataclasses
    import os

    env = dict(os.environ)
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "1" if value else "0"
        env[f.name] = str(value)
    if not config.PROMETHEUS_MULTIPROC_DIR:  # set, even empty, it turns prometheus-client's multi-process mode on
        env.pop("PROMETHEUS_MULTIPROC_DIR")
    return env


SPAWNED_GROUPS: set[int] = set()  # process groups the tests started; conftest ends any left at session end


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, read from /proc."""
    import os

    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def stop_group(pgid: int, timeout: float = 15.0, proc=None) -> None:
    """SIGTERM a whole process group (a worker and its work-horses, a dev server and its workers), wait until every
    member is gone, then SIGKILL whatever is left: nothing outlives the test that started it. `proc`, the group's
    leader when we started it, is reaped so that it does not linger as a zombie."""
    import os
    import signal

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        if _group_gone(pgid, wait, proc):
            break
    if proc is not None:
        proc.poll()
    SPAWNED_GROUPS.discard(pgid)


def _group_gone(pgid: int, wait: float, proc) -> bool:
    import time

    deadline = time.monotonic() + wait
    while True:
        if proc is not None:
            proc.poll()
        if not group_members(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def spawn(args: list[str], **kwargs):
    """Popen in a new process group that the test suite tracks and ends."""
    import subprocess

    proc = subprocess.Popen(args, start_new_session=True, **kwargs)
    SPAWNED_GROUPS.add(proc.pid)
    return proc


class WorkerProcess:
    """`python -m workers.worker` (or a wrapper module) as a real child process on the test database."""

    def __init__(self, config, *args: str, module: str = "workers.worker"):
        import sys
        from pathlib import Path

        self.proc = spawn([sys.executable, "-m", module, *args], env=config_env(config),
                          cwd=Path(__file__).resolve().parent.parent)

    def stop(self) -> None:
        stop_group(self.proc.pid, proc=self.proc)


def start_web(config, **settings: str):
    """The production web tier (gunicorn with gunicorn.conf.py, `config` and `settings` as its environment) on a
    free port: its base URL once /health answers, and its process (end it with stop_group)."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    port = free_port()
    proc = spawn([str(Path(sys.executable).parent / "gunicorn"), "-c", str(root / "gunicorn.conf.py"), "wsgi:app"],
                 cwd=root, env={**config_env(config), "WEB_BIND": f"127.0.0.1:{port}", **settings})
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(base + "/health", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or the worker still booting
            return False

    try:
        wait_for(healthy, timeout=30, interval=0.1)
    except BaseException:
        stop_group(proc.pid, proc=proc)
        raise
    return base, proc


@contextlib.contextmanager
def sql_statements(session):
    """The SQL statements run on the session's engine while the block runs (a list, filled as they run)."""
    import sqlalchemy as sa

    seen: list[str] = []
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2):
    """Poll until `predicate()` returns something truthy; returns it (or fails the test)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def synthetic_photo(kind: str, seed: int) -> bytes:
    """A generated photo of one of three synthetic classes, with random variation (size, phase, colour)."""
    import random

    from PIL import ImageDraw

    rnd = random.Random(f"{kind}-{seed}")
    img = Image.new("RGB", (640, 480), tuple(rnd.randint(90, 140) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    if kind == "stripes":
        width, phase = rnd.randint(18, 40), rnd.randint(0, 30)
        for y in range(-phase, 480, width * 2):
            draw.rectangle((0, y, 640, y + width), fill=(200 + rnd.randint(0, 55), 20, 20))
    elif kind == "dots":
        for _ in range(rnd.randint(25, 45)):
            x, y, r = rnd.randint(0, 640), rnd.randint(0, 480), rnd.randint(8, 22)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(20, 160 + rnd.randint(0, 80), 40))
    else:  # checks
        size = rnd.randint(30, 60)
        for x in range(0, 640, size):
            for y in range(0, 480, size):
                if (x // size + y // size) % 2:
                    draw.rectangle((x, y, x + size, y + size), fill=(30, 40, 200 + rnd.randint(0, 55)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def qr_text(pdf: bytes, page: int = 0) -> str | None:
    """The text of the QR code printed on a PDF page, read from a rasterised picture of it (PDFium renders,
    zxing-cpp decodes) as a phone's camera reads paper; None when no code is found."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    try:
        picture = document[page].render(scale=3).to_pil()
    finally:
        document.close()
    found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
    return found[0].text if found else None
