"""Request ids, logs and the /metrics endpoint: what an operator reads (docs/operations.md "What to watch").

A request's id is taken from a well-formed incoming X-Request-ID (a proxy's) or made here, returned in the answer's
X-Request-ID, put on every log line the request writes, and handed to the jobs the request starts (their RQ meta,
api/outbox/service.py): the worker running one logs under the same id. Logs are JSON lines in production (one
object a line: time, level, logger, message, request_id, job_id and the record's `extra`), readable lines elsewhere.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from flask import Flask, Response, current_app, g, request

from api import metrics
from api.access import public
from api.jobs import QUEUES

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")  # what a proxy's id looks like; anything else: ours
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def current_request_id() -> str | None:
    return request_id.get()


def request_id_from(header: str | None) -> str:
    """The incoming id when it is well formed (letters, digits, . _ : -, 8–64 characters), else a new one."""
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for a log collector."""

    converter = time.gmtime  # `ts` in UTC

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "request_id": request_id.get(), "job_id": job_id.get()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k not in entry})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in entry.items() if v is not None}, ensure_ascii=False, default=str)



class TextFormatter(logging.Formatter):
    """A readable line, with the request or job id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={v}" for k, v in (("request", request_id.get()), ("job", job_id.get())) if v)
        line = super().format(record)
        return f"{line} [{ids}]" if ids else line


def init_logging(env: str, process: str) -> None:
    """The root logger's one handler: JSON lines in production, readable lines elsewhere (`process` names the
    kind — web, worker, clock — in readable lines). Replaces handlers installed before (basicConfig's)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if env == "production" else
                         TextFormatter(f"%(asctime)s {process} %(levelname)s %(name)s: %(message)s"))
    handler.set_name("suiyun")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "suiyun" or type(h) is logging.StreamHandler]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Request id and latency on every request; /metrics behind METRICS_TOKEN."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
    app.add_url_rule("/metrics", "metrics", public(_metrics))


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id_token = request_id.set(request_id_from(request.headers.get(REQUEST_ID_HEADER)))


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id.get() or ""
    started = g.get("request_started")
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"  # never the raw path
        metrics.REQUEST_SECONDS.labels(endpoint, request.method, str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


def _forget(_exc: BaseException | None = None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


def _metrics():
    """Prometheus exposition; 404 unless the request carries `Authorization: Bearer <METRICS_TOKEN>` (and 404 when
    no token is configured), so the endpoint does not exist for anyone else."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("", status=404)
    body, content_type = metrics.render(QUEUES, current_app.config.get("PROMETHEUS_MULTIPROC_DIR") or "")
    return Response(body, content_type=content_type)
