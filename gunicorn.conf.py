"""The web tier's gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (production, every benchmark).

Chosen by measurement (bench/report_upload.py, bench/RESULTS.md "Report uploads at WeChat's real latency"):
threaded workers (`gthread`), so a request that must wait on WeChat (a login's jscode2session) or on PostgreSQL
holds a thread, not a whole process; two processes per core for the CPU-bound part; 8 threads each, within the
database pool (DB_POOL_SIZE, 10 per process). Content checks never run in a request (they are jobs), so the threads only
cover logins and I/O waits. Every value can be overridden from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")  # sync: one request per process at a time
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = int(os.environ.get("WEB_TIMEOUT_S", "30"))  # a worker silent this long is restarted
graceful_timeout = 30
keepalive = 5  # behind a reverse proxy that keeps connections open
max_requests = 20_000  # recycle workers now and then (memory held by a rare huge request)
max_requests_jitter = 2_000
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")


def child_exit(server, worker):
    """A web worker that exited leaves its metric files behind: marked dead, its live gauges stop counting
    (prometheus-client's multi-process mode, PROMETHEUS_MULTIPROC_DIR; docs/operations.md "What to watch")."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
