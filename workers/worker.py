"""Worker process: `python -m workers.worker [queue ...]` (default: all queues).

Boots config, engine and Redis once, disposes the engine's inherited connections in each forked
job child (SQLAlchemy must not share sockets across fork), and runs the RQ loop with the scheduler so
retries with backoff fire. A worker that serves the classify queue never forks: it loads the model once and
runs every job in its own process (a forked child would load the model again for every job).
"""

from __future__ import annotations

import argparse
import importlib
import logging

from rq import Queue, SimpleWorker, Worker

from api import db
from api.extensions import get_redis
from api.jobs import CLASSIFY, JOBS, QUEUES, RECEIPTS
from workers.boot import boot


class AppWorker(Worker):
    def main_work_horse(self, job, queue):  # the forked child, before the job runs
        db.dispose_after_fork()
        super().main_work_horse(job, queue)


def preload_jobs() -> None:
    """Import every job module once in the parent, so forked children do not re-import per job."""
    for job in JOBS.values():
        for path in job.paths():
            importlib.import_module(path.rpartition(".")[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queues", nargs="*", default=list(QUEUES))
    parser.add_argument("--burst", action="store_true")
    parser.add_argument("--simple", action="store_true", help="run jobs in this process (no fork)")
    args = parser.parse_args(argv)
    boot()
    preload_jobs()
    if RECEIPTS in args.queues:  # the CJK font registered once, here (before a fork, if this worker forks)
        from invoices import fonts

        fonts.font()
    serves_model = CLASSIFY in args.queues
    if serves_model:  # the model is loaded once, here; its jobs must then run in this process
        from workers import intake

        intake.preload()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    connection = get_redis()
    queues = [Queue(name, connection=connection) for name in args.queues]
    worker_class = SimpleWorker if args.simple or serves_model else AppWorker
    worker_class(queues, connection=connection).work(burst=args.burst, with_scheduler=True)


if __name__ == "__main__":
    main()
