"""A classify worker whose photo job announces itself (a marker file) and then takes long, so a test can
SIGKILL the worker while the job is running. Run as `python -m tests.flows.slow_worker classify --simple`."""

import os
import time
from pathlib import Path

from api.intake import photos
from workers import worker

_real = photos.classify_photo


def _slow_classify_photo(media_id: int):
    marker = Path(os.environ["SLOW_WORKER_MARKER"])
    if not marker.exists():  # only the first attempt is slow: the retry after the kill runs normally
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return _real(media_id)


photos.classify_photo = _slow_classify_photo

if __name__ == "__main__":
    worker.main()
